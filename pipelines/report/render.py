"""HTML from the Jinja2 templates, and a reproducible PDF from the HTML.

The HTML is self-contained (charts as data URIs, CSS inline, no fonts or scripts
fetched), so it can be e-mailed or archived; the PDF is rendered from the same HTML by
WeasyPrint with a URL fetcher that allows nothing but data URIs. The PDF's ``/ID`` is
pinned to the report's content hash and the document carries no creation or
modification date unless ``SOURCE_DATE_EPOCH`` gives one (reproducible-builds.org), so
the same figures give the same bytes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pipelines.publish.i18n import Translator
from pipelines.settings import SOURCE_DATE_EPOCH, source_date_epoch

TEMPLATES = Path(__file__).parent / "templates"


def render_html(context: dict, tr: Translator) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(tr.translations, newstyle=True)
    return env.get_template("report.html.j2").render(**context, lang=tr.lang)


# The fonts' own timestamp when SOURCE_DATE_EPOCH is not set: 1980-01-01, the epoch
# reproducible builds use for archive formats that cannot store an earlier date.
FIXED_EPOCH = "315532800"


@contextmanager
def _fixed_clock() -> Iterator[int | None]:
    """Every font subset embedded in a PDF carries a ``head.modified`` timestamp, which
    fontTools sets to *now* unless ``SOURCE_DATE_EPOCH`` is set; so two renderings of
    the same report differed in their font streams. Set it for the rendering (to the
    user's value, else FIXED_EPOCH: an empty value counts as unset) and restore the
    environment after. Yields the user's own value, which also dates the document;
    None without one. A malformed value is refused (``settings.source_date_epoch``);
    the settings refuse it before a run starts."""
    given = os.environ.get(SOURCE_DATE_EPOCH)
    seconds = source_date_epoch(given)
    if seconds is None:
        os.environ[SOURCE_DATE_EPOCH] = FIXED_EPOCH
    try:
        yield seconds
    finally:
        if given is None:
            os.environ.pop(SOURCE_DATE_EPOCH, None)
        else:
            os.environ[SOURCE_DATE_EPOCH] = given


class MissingFont(RuntimeError):
    """No installed font can set the report's language: the PDF would show empty boxes."""


def check_fonts(lang: str) -> None:
    """Refuse, in one sentence, to render a report whose language no installed font
    covers. WeasyPrint finds fonts through fontconfig and silently draws empty boxes
    for glyphs no font has; ``fc-list :lang=<lang>`` asks fontconfig the same question
    first. Without the ``fc-list`` tool there is nothing to ask, and rendering goes on."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return
    listed = subprocess.run([fc_list, f":lang={lang}", "family"], capture_output=True, text=True, check=False)
    if not listed.stdout.strip():
        raise MissingFont(f"no installed font covers the report language {lang!r}, so the PDF would show empty "
                          "boxes: install DejaVu Sans or Noto Sans (Debian: apt install fonts-dejavu-core)")


def write_pdf(html: str, path: Path, *, identifier: str) -> None:
    """Render ``html`` to an A4 PDF. Only ``data:`` URIs may be fetched, and a failed
    fetch stops the run, so a report that is not self-contained cannot slip out."""
    from weasyprint import HTML  # slow import: only when a PDF is actually written
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    with _fixed_clock() as epoch:
        document = HTML(string=html, url_fetcher=fetcher).render()
        stamp = None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat()
        document.metadata.created = document.metadata.modified = stamp
        document.write_pdf(path, pdf_identifier=identifier[:32].encode("ascii"))
