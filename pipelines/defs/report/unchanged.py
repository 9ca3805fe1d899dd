"""A report partition whose inputs have not changed is not drawn or rendered again.

A scheduled refresh rebuilds the warehouse, then every report partition, though often
nothing a report shows has changed: the monthly schedule fired over the same files, a
framework file or a reviewer's decision touched one programme only, a report run was
repeated after a failure elsewhere. Drawing and rendering are half of a run
(docs/performance.md), so each ``report_charts/<lang>`` and ``report/<lang>``
materialization records two digests:

- ``inputs``: everything the partition's files are made from — the figures it read
  from the period's warehouse (every frame, after the claim families and the period
  guard, the provenance's list of input files included), its scope, period and spans,
  the language and smallest cell, the PDF date (``SOURCE_DATE_EPOCH``), the catalogue
  of measures (names and definitions, mapping files' declared measures included), the
  code (every file of the ``pipelines`` package, templates and translations included,
  and the version the report prints), the installed packages' versions and the fonts
  fontconfig lists, and, for the report, the charts it embeds;
- ``outputs``: the bytes of the files it wrote.

When both match the partition's last materialization — the same inputs, and the files
on disk still those it wrote — the files are kept, byte for byte what building again
would write, and the materialization says so (``rebuilt: false``). A report cites every
loaded file (suppression is planned over all programmes together), so a new or changed
data file rebuilds every report. A file edited, deleted or left half-written by a
killed run no longer matches ``outputs``, and the partition is built again.
``outputs`` is also the materialization's Dagster data version, so the UI shows which
reports really changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
import shutil
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path

import dagster as dg
import pandas as pd

import pipelines
from pipelines import catalogue
from pipelines.publish.figures import code_version
from pipelines.settings import SOURCE_DATE_EPOCH

# DuckDB sums in parallel, so the same data can give a mean or an interval that differs
# in its last bits from one run to the next (at tens of thousands of rows): hashed
# exactly, every such figure would rebuild its report. Reports print at most four
# decimals and draw far coarser, so ten significant digits keep every change that can
# reach a file; a figure that sits exactly on a rounding boundary can print either way
# whether the report is kept or built again.
FLOAT_FORMAT = "{:.10g}"
DIGEST_KEY = ".report-digest-key"
INPUTS = "inputs"
OUTPUTS = "outputs"
REBUILT = "rebuilt"


@cache
def code_digest() -> str:
    """Every file of the ``pipelines`` package (code, SQL, templates, translations,
    reference tables), by path and content: any change to what builds a report."""
    package = Path(pipelines.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _update(digest, value: object) -> None:
    if isinstance(value, pd.DataFrame):
        digest.update(repr((list(value.columns), [str(t) for t in value.dtypes], len(value))).encode())
        if len(value):
            # object cells (lists, sets, dicts) are hashed by their text, floats by
            # FLOAT_FORMAT (missing values stay missing)
            frame = value.reset_index(drop=True)
            frame = frame.astype({c: str for c in frame.columns if frame[c].dtype == object})
            for column in [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]:
                frame[column] = frame[column].map(FLOAT_FORMAT.format, na_action="ignore")
            digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        digest.update(type(value).__name__.encode())
        for field in dataclasses.fields(value):
            digest.update(field.name.encode())
            _update(digest, getattr(value, field.name))
    elif isinstance(value, dict):
        for key in sorted(value, key=repr):
            digest.update(repr(key).encode())
            _update(digest, value[key])
    else:
        digest.update(repr(value).encode())
    digest.update(b"\0")


@cache
def environment_digest() -> str:
    """The installed distributions with their versions (matplotlib, WeasyPrint, fontTools,
    Pillow … write the bytes) and the fonts fontconfig offers (file, family, style)."""
    digest = hashlib.sha256()
    installed = sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions())
    digest.update("\n".join(installed).encode())
    fc_list = shutil.which("fc-list")
    if fc_list is not None:
        listed = subprocess.run([fc_list, "--format", "%{file}|%{family}|%{style}\n"], capture_output=True,
                                text=True, check=False).stdout
        digest.update("\n".join(sorted(listed.splitlines())).encode())
    return digest.hexdigest()


def digest_key(processed: Path) -> bytes:
    """The data root's secret for ``inputs`` digests (``processed/.report-digest-key``,
    made on first use). The digests go to Dagster's event log, and the frames behind them
    are the warehouse's: keyed, a reader of the log cannot test a guess of any figure
    against them. Written whole under a temporary name and linked into place, so two
    report workers starting together agree on one key and a killed run leaves none
    half-written."""
    path = processed / DIGEST_KEY
    if not path.exists():
        processed.mkdir(parents=True, exist_ok=True)
        part = processed / f"{DIGEST_KEY}.{os.getpid()}.tmp"
        part.write_bytes(os.urandom(32))
        try:
            os.link(part, path)
        except FileExistsError:
            pass
        finally:
            part.unlink()
    return path.read_bytes()


def inputs_digest(*parts: object, key: bytes = b"") -> str:
    """One digest of ``parts`` (frames, dataclasses, dicts, plain values), the code, the
    environment, the catalogue of measures and the PDF date, keyed with ``key`` (HMAC)."""
    digest = hmac.new(key, digestmod=hashlib.sha256)
    for part in (code_digest(), code_version(), environment_digest(), catalogue.indicators(),
                 os.environ.get(SOURCE_DATE_EPOCH, ""), *parts):
        _update(digest, part)
    return digest.hexdigest()


def files_digest(folder: Path, *, skip: str | None = None) -> str:
    """The files under ``folder`` (not under its subfolder ``skip``), by path and content;
    the empty digest of nothing when the folder does not exist."""
    digest = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(folder)
            if skip is not None and relative.parts[0] == skip:
                continue
            digest.update(relative.as_posix().encode() + b"\0")
            with path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
            digest.update(b"\0")
    return digest.hexdigest()


def last_metadata(instance: dg.DagsterInstance, key: dg.AssetKey, partition: str) -> dict | None:
    """The metadata of the partition's last materialization, None if it has none."""
    records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition]),
                                              limit=1).records
    if not records or records[0].asset_materialization is None:
        return None
    return dict(records[0].asset_materialization.metadata)


def unchanged(previous: dict | None, inputs: str, outputs: str) -> bool:
    """Whether the last materialization was built from ``inputs`` and its files are
    still ``outputs``."""
    if previous is None:
        return False
    return [getattr(previous.get(k), "value", None) for k in (INPUTS, OUTPUTS)] == [inputs, outputs]
