"""Every word a reader sees goes through here: one catalogue, one formatter.

Strings are marked the gettext way: ``tr("Headline figures")`` in Python,
``{{ _("Headline figures") }}`` in the Jinja2 templates (``jinja2.ext.i18n``,
new-style, so ``%(name)s`` placeholders are filled by keyword). The English text is
the message id, so English needs no catalogue; another language is a compiled
catalogue ``locale/<lang>/LC_MESSAGES/aai_report.mo`` beside this file, extracted with
Babel (``pybabel extract`` over ``pipelines/charts`` and ``pipelines/report``).
A language without a catalogue falls back to English rather than failing.

Numbers, percentages and dates are formatted with Babel for the same locale, so a
Polish report writes ``42,1%`` and ``1 234`` the Polish way.
"""

from __future__ import annotations

import gettext
import re
from datetime import date
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_decimal

DOMAIN = "aai_report"
LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "en"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (module constants)."""
    return message


# Labels of the AAI indicators (see shared/domain/aai.md). 3.5 and 3.6 are our proxies
# and say so wherever they appear.
INDICATOR_LABELS: dict[str, str] = {
    "1.1": N_("Employment rate 55–59"),
    "1.2": N_("Employment rate 60–64"),
    "1.3": N_("Employment rate 65–69"),
    "1.4": N_("Employment rate 70–74"),
    "2.1": N_("Voluntary activities"),
    "2.2": N_("Care to children, grandchildren"),
    "2.3": N_("Care to older adults"),
    "2.4": N_("Political participation"),
    "3.1": N_("Physical exercise"),
    "3.2": N_("Access to health and dental care"),
    "3.3": N_("Independent living arrangements"),
    "3.4": N_("Relative median income"),
    "3.5": N_("No poverty risk (proxy: making ends meet)"),
    "3.6": N_("No severe material deprivation (proxy)"),
    "3.7": N_("Physical safety"),
    "3.8": N_("Lifelong learning"),
    "4.1": N_("Remaining life expectancy at 55"),
    "4.2": N_("Share of healthy life expectancy at 55"),
    "4.3": N_("Mental well-being (WHO-5 raw score ≥ 13)"),
    "4.4": N_("Use of ICT"),
    "4.5": N_("Social connectedness"),
    "4.6": N_("Educational attainment"),
}

DOMAIN_LABELS: dict[str, str] = {
    "D1": N_("Employment"),
    "D2": N_("Participation in society"),
    "D3": N_("Independent, healthy and secure living"),
    "D4": N_("Capacity and enabling environment"),
    "AAI": N_("Active Ageing Index"),
}

ARM_LABELS: dict[str, str] = {"participant": N_("participants"), "comparison": N_("comparison")}

STATUS_LABELS: dict[str, str] = {
    "loaded": N_("loaded"),
    "loaded_with_quarantine": N_("loaded, some rows quarantined"),
    "duplicate": N_("duplicate of another file"),
    "unknown_kind": N_("not recognised"),
    "unreadable": N_("unreadable"),
}

AAI_CODE = re.compile(r"^[1-4]\.[1-8]$")
_FOLLOWUP = re.compile(r"^followup(\d+)$")


def is_aai_indicator(code: str) -> bool:
    """True for the AAI's own indicator codes (``1.1`` … ``4.6``), which are shares."""
    return bool(AAI_CODE.match(str(code)))


def wave_order(wave: str) -> int:
    """Sort key for waves: baseline first, then followup1, followup2, … numerically."""
    if wave == "baseline":
        return 0
    match = _FOLLOWUP.match(str(wave))
    return int(match.group(1)) if match else 10_000


class Translator:
    """Translations and locale-aware formatting for one report language."""

    def __init__(self, lang: str = DEFAULT_LANGUAGE) -> None:
        self.lang = lang or DEFAULT_LANGUAGE
        self.translations = gettext.translation(
            DOMAIN, localedir=LOCALE_DIR, languages=[self.lang], fallback=True
        )

    def __call__(self, message: str, **params: object) -> str:
        text = self.translations.gettext(message)
        return text % params if params else text

    def plural(self, singular: str, plural: str, n: int, **params: object) -> str:
        text = self.translations.ngettext(singular, plural, n)
        return text % {"num": n, **params}

    # -- labels ---------------------------------------------------------------------
    def indicator(self, code: str) -> str:
        label = INDICATOR_LABELS.get(str(code))
        return f"{code} {self(label)}" if label else str(code).replace("_", " ")

    def domain(self, item: str) -> str:
        label = DOMAIN_LABELS.get(str(item))
        return f"{item} {self(label)}" if label and item != "AAI" else self(label or str(item))

    def arm(self, arm: str) -> str:
        return self(ARM_LABELS.get(str(arm), str(arm)))

    def status(self, status: str) -> str:
        return self(STATUS_LABELS.get(str(status), str(status)))

    def wave(self, wave: str) -> str:
        if wave == "baseline":
            return self("baseline")
        match = _FOLLOWUP.match(str(wave))
        return self("follow-up %(n)s", n=match.group(1)) if match else str(wave)

    # -- numbers and dates ------------------------------------------------------------
    def number(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.lang)

    def percent(self, value: float | None, digits: int = 1) -> str:
        """A value already on the 0–100 scale, written as a percentage."""
        if value is None:
            return "–"
        return self("%(value)s%%", value=self.number(value, digits))

    def date(self, value: date | None) -> str:
        if value is None:
            return "–"
        return format_date(value, format="medium", locale=self.lang)

    def month(self, value: date | None) -> str:
        if value is None:
            return "–"
        return format_date(value, format="MMM yyyy", locale=self.lang)
