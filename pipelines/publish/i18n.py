"""Every word a reader sees goes through here: one catalogue, one formatter.

Strings are marked the gettext way: ``tr("Headline figures")`` in Python,
``{{ _("Headline figures") }}`` in the Jinja2 templates (``jinja2.ext.i18n``,
new-style, so ``%(name)s`` placeholders are filled by keyword). The English text is
the message id, so English needs no catalogue. Indicator and domain names are the
``name`` column of the indicator catalogue (``pipelines/catalogue.py``), translated
through the same ``.po`` files: ``babel.cfg`` extracts them with
``pipelines.publish.extract``, so a name lives in English in one place and in each
other language in one place.

Each language is one file, ``locale/<lang>/LC_MESSAGES/messages.po``, compiled in
memory when first used. No ``.mo`` file is read: a compiled catalogue that is missing
on a fresh clone, or older than its ``.po``, cannot silently change a report.
A message a catalogue lacks (or marks fuzzy) shows in English rather than failing.

Numbers, percentages and dates are formatted with Babel for the same locale, so a
Polish report writes ``42,1%`` and ``1 234`` the Polish way. How many decimals a
figure gets is decided here too (``digits``), so the report, its charts and its
citable figures round alike.
"""

from __future__ import annotations

import gettext
import io
from datetime import date
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from pipelines import catalogue, vocabulary

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "ru", "uk", "pl")


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (module constants)."""
    return message


ARM_LABELS: dict[str, str] = {"participant": N_("participants"), "comparison": N_("comparison")}
ARM_ORDER: dict[str, int] = {arm: rank for rank, arm in enumerate(ARM_LABELS)}  # participants first
METHOD_LABELS: dict[str, str] = {
    "change": N_("change"),
    "paired_change": N_("paired change"),
    "did": N_("difference in differences"),
}

# How each method's estimate reads after "changed by X points": the change it measures.
METHOD_PHRASES: dict[str, str] = {
    "change": N_("from baseline among all participants"),
    "paired_change": N_("from baseline among participants seen in both waves"),
    "did": N_("relative to the comparison group, from baseline"),
}
UNIT_LABELS: dict[str, str] = {"percentage_points": N_("percentage points"), "score": N_("points")}
MINUS = "\u2212"

STATUS_LABELS: dict[str, str] = {
    "loaded": N_("loaded"),
    "loaded_with_quarantine": N_("loaded, some rows quarantined"),
    "duplicate": N_("duplicate of another file"),
    "unknown_kind": N_("not recognised"),  # the status before ingestion counted such files' records
    "unrecognised": N_("not recognised"),
    "unreadable": N_("unreadable"),
    "no_records": N_("no records (header only or empty)"),
    "ignored": N_("ignored (aai.toml)"),
    "refused": N_("refused (a link outside the data root)"),
    "skipped": N_("skipped"),
}

# Decimals by catalogue kind: whole people, sessions, groups and hours; shares, national
# figures and domain scores on 0-100 to a tenth. Means take a tenth too, except on a
# short scale (UCLA-3 runs 3-9), where a tenth is a large step and would hide change.
KIND_DIGITS = {"count": 0, "sum": 0, "share": 1, "national": 1, "domain": 1, "mean": 1}
SHORT_SCALE_DIGITS = {"score 3-9": 2}  # by unit, for means only
UNKNOWN_DIGITS = 2  # a code missing from the catalogue: enough not to hide a difference


@cache
def _aai_codes() -> frozenset[str]:
    weights = catalogue.aai_weights()
    return frozenset(weights.loc[weights["kind"] != "domain", "code"])


def is_aai_indicator(code: str) -> bool:
    """True for the AAI's own 22 indicator codes (``1.1`` … ``4.6``), as the catalogue lists them."""
    return str(code) in _aai_codes()


@catalogue.per_catalogue
def _digits() -> dict[str, int]:
    df = catalogue.indicators()
    found = {r.code: KIND_DIGITS[r.kind] for r in df.itertuples()}
    found |= {r.code: SHORT_SCALE_DIGITS[r.unit] for r in df.itertuples()
              if r.kind == "mean" and r.unit in SHORT_SCALE_DIGITS}
    # the overall index ("AAI") is the domain rows' own domain, a 0-100 score like them
    return found | {index: KIND_DIGITS["domain"] for index in df.loc[df["kind"] == "domain", "domain"]}


@catalogue.per_catalogue
def _percent_codes() -> frozenset[str]:
    df = catalogue.indicators()
    return frozenset(df.loc[df["unit"] == "percent", "code"])


def digits(code: str) -> int:
    """Decimals every output shows ``code``'s values with (table, sentence, chart text,
    ``headline_figures``), its intervals and, for impact, its estimates in the same unit."""
    return _digits().get(str(code), UNKNOWN_DIGITS)


def wave_order(wave: str) -> int:
    """Sort key for waves: baseline first, then followup1, followup2, … numerically."""
    number = vocabulary.wave_number(wave)
    return 10_000 if number is None else number


def code_key(code: str) -> tuple:
    """Sort key for indicator codes: AAI codes numerically (1.1 … 4.6), then the rest."""
    major, _, minor = str(code).partition(".")
    return (0, int(major), int(minor), "") if major.isdigit() and minor.isdigit() else (1, 0, 0, str(code))


@catalogue.per_catalogue
def _names() -> dict[str, str]:
    df = catalogue.indicators()
    return dict(zip(df["code"], df["name"], strict=True))


@catalogue.per_catalogue
def _declared_names() -> dict[str, dict[str, str]]:
    """A declared measure's names by report language, as its mapping file gives them:
    they are the organisation's words, so they are not in the message catalogue."""
    df = catalogue.declared()
    return dict(zip(df["code"], df["names"], strict=True))


def declared_name_missing(code: str, lang: str) -> bool:
    """Whether a declared measure has no name of its own in ``lang`` (its English one is shown)."""
    names = _declared_names().get(str(code))
    return names is not None and lang not in names


@cache
def load_translations(lang: str) -> gettext.NullTranslations:
    """The language's ``.po`` compiled in memory; English (no catalogue) passes through."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT_LANGUAGE or not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        entries = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, entries, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """Translations and locale-aware formatting for one report language."""

    def __init__(self, lang: str = DEFAULT_LANGUAGE) -> None:
        self.lang = lang or DEFAULT_LANGUAGE
        if self.lang not in LANGUAGES:
            raise ValueError(f"no report language {self.lang!r}; available: {', '.join(LANGUAGES)}")
        self.translations = load_translations(self.lang)

    def __call__(self, message: str, **params: object) -> str:
        """The message in the language, filled with ``params``. Without parameters the
        message is either plain text, where ``%%`` is a literal percent sign as in the
        templates ("95%% intervals"), or a template a chart fills later, which holds
        placeholders and no ``%%``."""
        text = self.translations.gettext(message)
        if params:
            return text % params
        return text if "%(" in text else text.replace("%%", "%")

    # -- labels ---------------------------------------------------------------------
    def indicator(self, code: str) -> str:
        """``4.5 Social connectedness`` for AAI codes, the bare name for programme ones."""
        declared = _declared_names().get(str(code))
        if declared is not None:
            return declared.get(self.lang) or declared["en"]
        name = _names().get(str(code))
        if name is None:
            return str(code).replace("_", " ")
        return f"{code} {self(name)}" if is_aai_indicator(code) else self(name)

    def domain(self, item: str) -> str:
        if item == "AAI":
            return self(N_("Active Ageing Index"))
        name = _names().get(str(item))
        return f"{item} {self(name)}" if name else str(item)

    def arm(self, arm: str) -> str:
        return self(ARM_LABELS.get(str(arm), str(arm)))

    def method(self, method: str) -> str:
        return self(METHOD_LABELS.get(str(method), str(method)))

    def method_phrase(self, method: str) -> str:
        return self(METHOD_PHRASES.get(str(method), str(method)))

    def unit(self, unit: str) -> str:
        return self(UNIT_LABELS.get(str(unit), str(unit)))

    def status(self, status: str) -> str:
        return self(STATUS_LABELS.get(str(status), str(status)))

    def wave(self, wave: str) -> str:
        number = vocabulary.wave_number(wave)
        if number == 0:
            return self(N_("baseline"))
        return self(N_("follow-up %(n)s"), n=number) if number else str(wave)

    # -- numbers and dates ------------------------------------------------------------
    def number(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        text = format_decimal(abs(value), format=pattern, locale=self.lang)
        # a true minus sign, and never "−0" for a value that rounds to zero
        return MINUS + text if value < 0 and text != format_decimal(0, format=pattern, locale=self.lang) else text

    def signed(self, value: float | None, digits: int = 0) -> str:
        """A change with its sign: ``+3,5`` or ``−3,5`` (a true minus sign); never ``−0``."""
        if value is None:
            return "–"
        text = self.number(abs(value), digits)
        if self.number(0, digits) == text:
            return text
        return ("+" if value > 0 else MINUS) + text  # number() gave the magnitude

    def percent(self, value: float | None, digits: int = 1) -> str:
        """A value already on the 0–100 scale, written as a percentage."""
        if value is None:
            return "–"
        return self(N_("%(value)s%%"), value=self.number(value, digits))

    def figure(self, value: float | None, code: str) -> str:
        """A value of indicator ``code`` as every output writes it: a percentage for a
        share, else a number, with the indicator's ``digits``."""
        d = digits(code)
        return self.percent(value, d) if str(code) in _percent_codes() else self.number(value, d)

    def date(self, value: date | None) -> str:
        if value is None:
            return "–"
        return format_date(value, format="medium", locale=self.lang)

    def month(self, value: date | None) -> str:
        if value is None:
            return "–"
        return format_date(value, format="MMM yyyy", locale=self.lang)

    def month_tick(self, value: date) -> str:
        """A month on a time axis: the year at January, else the month's short
        stand-alone name in the language (``май``, ``trav.``), never matplotlib's English."""
        return str(value.year) if value.month == 1 else format_date(value, format="LLL", locale=self.lang)
