"""The translation catalogues: every word the report can print is in each ``.po``,
translated, with the same placeholders; and the catalogue's names are the ones used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from pipelines.publish.i18n import LANGUAGES, LOCALE_DIR, Translator

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%%")


def _extracted() -> set[str]:
    """What ``pybabel extract -F babel.cfg -k tr -k N_`` finds (docs/report.md)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords={"tr": None, "N_": None})
    return {message for _, _, message, _, _ in found if message}


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    return _extracted()


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_catalogue_is_complete_and_keeps_placeholders(lang: str, extracted: set[str]) -> None:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale=lang)
    messages = {m.id: m for m in catalogue if m.id}
    assert extracted - set(messages) == set(), "run pybabel extract/update (docs/report.md)"
    for message_id in extracted:
        message = messages[message_id]
        assert message.string and not message.fuzzy, message_id
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(message_id)), message_id


def test_indicator_names_come_from_the_catalogue(extracted: set[str]) -> None:
    assert "Social connectedness" in extracted and "Participants reached" in extracted
    tr = Translator("ru")
    assert tr.indicator("4.5") == "4.5 Социальные связи"
    assert tr.indicator("P.reached") == "Охвачено участников"
    assert tr.domain("D2") == "D2 Участие в жизни общества"
    assert Translator("pl").number(1234.5, 1) == "1\u00a0234,5"  # Polish digits, grouped by Babel


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="available"):
        Translator("xx")


def test_numbers_use_a_true_minus_and_never_minus_zero() -> None:
    en, pl = Translator("en"), Translator("pl")
    assert en.number(-3.25, 1) == "\u22123.2" and pl.number(-1234.5, 1) == "\u22121\u00a0234,5"
    assert en.number(-0.04, 1) == "0.0" and en.signed(-0.04, 1) == "0.0"
    assert en.signed(2.5, 1) == "+2.5" and en.signed(-2.5, 1) == "\u22122.5"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_formats_with_its_own_placeholders_and_prints_no_double_percent(lang: str) -> None:
    """"95%%" prints "95%" with or without parameters, as in the templates, and a
    translation with a stray ``%`` or a placeholder the English lacks fails here."""
    tr = Translator(lang)
    catalogue = read_po((LOCALE_DIR / "messages.pot").open("rb"))
    checked = 0
    for message in catalogue:
        if not message.id or not isinstance(message.id, str):
            continue
        text = tr(message.id, **{name: "X" for name in re.findall(r"%\((\w+)\)", message.id)})
        assert "%%" not in text, message.id
        checked += 1
    assert checked > 250
