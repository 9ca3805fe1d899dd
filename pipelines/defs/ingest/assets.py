"""Dagster asset for the ingest stage."""

import hashlib

import dagster as dg

from pipelines.ingest.stage import stage_all, workspace
from pipelines.defs.resources import AaiSettings
from pipelines.warehouse import WAREHOUSE_POOL

# DuckDB's spill files and transcoded copies hold every column of a file, names and
# phones included: they live here while the stage runs and are removed after it.
WORK_FOLDER = ".ingest-work"


@dg.asset(kinds={"duckdb", "csv"}, group_name="ingest", pool=WAREHOUSE_POOL)
def raw_files(context: dg.AssetExecutionContext, settings: AaiSettings) -> dg.MaterializeResult:
    """Every file in the drop zone (`$AAI_DATA_DIR/raw/`), recognised and read.

    For each path: its SHA-256, kind (groups, survey or attendance, from the header),
    encoding and delimiter, or why it was not read (refused link, hidden, ignored,
    unrecognised header). DuckDB reads each file; every cell is converted into the
    contract's typed columns in SQL; answer labels in any of the five questionnaire
    languages become codes; columns outside the contract (names, phones, addresses)
    are never stored.
    A paper register typed as a grid (persons × dates) becomes one attendance row per
    cell. With a pseudonym salt (`AAI_ID_SALT`), participant ids are replaced by salted pseudonyms
    before anything is stored.
    A file that a mapping file of `$AAI_DATA_DIR/mappings/` describes (its own column
    names, answer codes, reversed and derived items, constants) is read through it;
    `ingest_log.mapping` names the mapping applied.
    A file with the same bytes as an earlier one is not read twice. Problems found in
    a row go to `staging_problems`; the validate stage decides where each row lands.
    """

    def progress(result) -> None:
        context.log.info(
            f"{result.source_file}: {result.status}, {result.kind}, {result.rows_read} rows"
            + (f" ({result.encoding}, {result.delimiter!r})" if result.encoding else "")
        )

    paths = settings.paths
    mappings = settings.mappings()  # a bad mapping file stops here, before any data is read
    with settings.connect() as con, workspace(con, paths.processed / WORK_FOLDER) as work:
        results = stage_all(con, paths.raw, ignore=settings.ingest_ignore(), salt=settings.salt, work_dir=work,
                            progress=progress, mappings=mappings)
    by_status: dict[str, int] = {}
    for result in results:
        by_status[result.status] = by_status.get(result.status, 0) + 1
    return dg.MaterializeResult(
        data_version=data_version(results, mappings),
        metadata={
            "files": len(results),
            "rows_read": sum(r.rows_read for r in results),
            "files_by_status": dg.MetadataValue.json(by_status),
            "raw_dir": dg.MetadataValue.path(str(settings.paths.raw)),
        }
    )


def data_version(results, mappings) -> dg.DataVersion:
    """The drop zone as read: every path's SHA-256 and status, and the mappings (as
    parsed) that say how files read. The same files give the same version, so the
    UI shows a refresh over unchanged files as such."""
    digest = hashlib.sha256()
    for result in sorted(results, key=lambda r: r.source_file):
        digest.update(f"{result.source_file}\0{result.sha256}\0{result.status}\n".encode())
    for mapping in sorted(mappings, key=lambda m: m.path):
        digest.update(repr(mapping).encode() + b"\n")  # what it says, parsed
    return dg.DataVersion(digest.hexdigest())
