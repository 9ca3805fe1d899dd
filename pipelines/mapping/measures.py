"""A questionnaire's own outcome measures, declared in its mapping file, checked whole.

An organisation's survey often carries validated scales the contract does not (K6
distress, Katz ADL, SF-12 mental health). Its mapping file may declare each as a
programme indicator under ``indicators:`` (docs/questionnaire.md): a code ``P.…``, its
names, share or mean, the scale, the age population, the items (the file's columns
the rule reads, each under a plain name), the items asked the other way round, the
rule as a DuckDB SQL expression over those names, and the citation.

Everything is checked when the mapping loads, before any data is read, and each
mistake names the file and the line: a code that is not ``P.`` and a lower-case name,
or one the catalogue already has; an unknown language; a kind other than share or
mean; a scale that is not two numbers low < high (a share is 0–100); a population
that is not an age band; a reversed item that is not an item; and a rule that DuckDB
cannot bind against an empty relation of the item columns (a misspelt item is a
binder error naming it). The rule is text an organisation supplies, so it is bound on
a connection without external access, must be one expression (no ``;``, no
subquery), and is only ever evaluated over the item columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import yaml

from pipelines import catalogue, yamlfile

if TYPE_CHECKING:
    from pipelines.mapping.load import _Reader

KINDS = ("share", "mean")
LANGUAGES = ("en", "ru", "uk", "pl")  # the report's languages (pipelines/publish/i18n.py)
OPTIONS = ("name", "kind", "scale", "population", "items", "reverse", "item_scale", "rule", "citation")
REQUIRED = ("name", "kind", "population", "items", "rule", "citation")
CODE = re.compile(r"^P\.[a-z][a-z0-9_]*$")
ITEM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# the columns an item's value sits beside when the indicator stage evaluates the rule
RESERVED_ITEM_NAMES = ("source_file", "source_row")
SHARE_SCALE = (0.0, 100.0)
# A rule's result type decides what it may be: a share counts a respondent as 1 or 0.
NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL",
                 "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")


@dataclass(frozen=True)
class DeclaredIndicator:
    """One outcome measure of a questionnaire, as its mapping file declares it.

    ``items`` pairs the name the rule uses with the file's column; ``reverse`` names
    items whose answer ``v`` becomes ``lo + hi − v`` on ``item_scale`` before the rule.
    """

    code: str
    names: tuple[tuple[str, str], ...]  # (language, name); English always present
    kind: str
    scale_min: float
    scale_max: float
    population: str
    items: tuple[tuple[str, str], ...]  # (name in the rule, the file's column)
    rule: str
    citation: str
    line: int
    reverse: tuple[str, ...] = ()
    item_scale: tuple[float, float] | None = None

    def name(self, language: str) -> str:
        """The declared name in ``language``, the English one where none is given."""
        return dict(self.names).get(language) or dict(self.names)["en"]


def read_indicators(reader: _Reader, node: yaml.Node | None, kind: str | None) -> tuple[DeclaredIndicator, ...]:
    """The ``indicators:`` section; every mistake is an error of ``reader`` with its line."""
    if node is None:
        return ()
    if kind not in (None, "survey"):
        reader.error(node, f"indicators are declared over survey answers; this mapping describes {kind} files")
        return ()
    codes = set(catalogue.project_indicators()["code"])
    out = []
    for key, spec in reader.mapping_items(node, "indicators"):
        code = key.value.strip()
        if not CODE.match(code):
            reader.error(key, f"{code!r} is not a programme indicator code; write P. and a lower-case name, "
                              "such as P.k6_mean")
            continue
        if code in codes:
            reader.error(key, f"{code} is an indicator of the catalogue already (docs/indicators.md); give "
                              "the questionnaire's own measure another code")
            continue
        declared = _Declaration(reader, key, spec).read()
        if declared is not None:
            out.append(declared)
    return tuple(out)


class _Declaration:
    """One entry of ``indicators:``; ``read`` gives None after reporting any mistake."""

    def __init__(self, reader: _Reader, key: yaml.ScalarNode, spec: yaml.Node) -> None:
        self.reader, self.key, self.code = reader, key, key.value.strip()
        self.failed = False
        self.options = {k.value: v for k, v in reader.mapping_items(spec, f"indicator {self.code}")}
        self.spec = spec

    def error(self, node: yaml.Node, text: str) -> None:
        self.failed = True
        self.reader.error(node, f"{self.code}: {text}")

    def read(self) -> DeclaredIndicator | None:
        if not isinstance(self.spec, yaml.MappingNode):
            return None
        if unknown := sorted(set(self.options) - set(OPTIONS)):
            self.error(self.spec, f"unknown option {', '.join(unknown)}; expected {', '.join(OPTIONS)}")
        if missing := [o for o in REQUIRED if o not in self.options]:
            self.error(self.key, f"say {', '.join(missing)} (docs/questionnaire.md, indicators)")
            return None
        names = self.names(self.options["name"])
        kind = self.text("kind")
        if kind not in KINDS:
            self.error(self.options["kind"], f"kind must be share or mean, got {kind!r}")
        scale = self.scale(self.options.get("scale"), kind)
        population = self.text("population")
        try:
            catalogue.age_range(population)
        except ValueError:
            self.error(self.options["population"], f"population must be all, an age band such as 60-74, or an "
                                                   f"age and over such as 60+; got {population!r}")
        items = self.items(self.options["items"])
        reverse, item_scale = self.reverse(items)
        rule = self.text("rule")
        citation = self.text("citation")
        if not citation:
            self.error(self.options["citation"], "cite the measure's source (its validation paper or manual)")
        if not self.failed:
            self.bind(rule, [name for name, _ in items], kind)
        if self.failed:
            return None
        return DeclaredIndicator(self.code, names, kind, *scale, population, items, rule, citation,
                                 yamlfile.line(self.key), reverse, item_scale)

    def text(self, option: str) -> str:
        node = self.options[option]
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"{option} must be a single value")
            return ""
        return node.value.strip()

    def names(self, node: yaml.Node) -> tuple[tuple[str, str], ...]:
        """A plain text is the English name; otherwise names by report language, English among them."""
        if isinstance(node, yaml.ScalarNode):
            if not node.value.strip():
                self.error(node, "give the indicator a name")
                return ()
            return (("en", node.value.strip()),)
        names = []
        for language, name in self.reader.mapping_items(node, f"the names of {self.code}"):
            if language.value not in LANGUAGES:
                self.error(language, f"{language.value!r} is not a report language; expected one of "
                                     f"{', '.join(LANGUAGES)}")
            elif not isinstance(name, yaml.ScalarNode) or not name.value.strip():
                self.error(name, f"the {language.value} name must be a text")
            else:
                names.append((language.value, name.value.strip()))
        if "en" not in dict(names) and not self.failed:
            self.error(node, "give the English name (en:); a report in a language without its own name shows "
                             "the English one")
        return tuple(names)

    def scale(self, node: yaml.Node | None, kind: str) -> tuple[float, float]:
        """A share is a percentage (0–100, the default); a mean needs its own scale."""
        if node is None:
            if kind == "mean":
                self.error(self.key, "a mean needs its scale: scale: [lowest score, highest score]")
            return SHARE_SCALE
        bounds = self.numbers(node, "scale")
        if bounds is None:
            return SHARE_SCALE
        if kind == "share" and bounds != SHARE_SCALE:
            self.error(node, "a share is a percentage: its scale is [0, 100] (or leave scale out)")
        return bounds

    def numbers(self, node: yaml.Node, option: str) -> tuple[float, float] | None:
        values = node.value if isinstance(node, yaml.SequenceNode) else []
        try:
            low, high = (float(v.value) for v in values if isinstance(v, yaml.ScalarNode))
        except ValueError:
            low = high = None
        if len(values) != 2 or low is None or not low < high:
            self.error(node, f"{option} must be two numbers, the lowest and the highest: [0, 24]")
            return None
        return low, high

    def items(self, node: yaml.Node) -> tuple[tuple[str, str], ...]:
        """``name: file column`` pairs, or a list of file columns already named as the rule names them."""
        if isinstance(node, yaml.SequenceNode):
            pairs = [(n, n) for n in self.reader.texts(node, "items")]
            lines = {n.value.strip(): n for n in node.value if isinstance(n, yaml.ScalarNode)}
        else:
            pairs, lines = [], {}
            for name, column in self.reader.mapping_items(node, f"the items of {self.code}"):
                if not isinstance(column, yaml.ScalarNode) or not column.value.strip():
                    self.error(column, f"item {name.value}: give the file's column it reads")
                    continue
                pairs.append((name.value.strip(), column.value.strip()))
                lines[name.value.strip()] = name
        for name, _ in pairs:
            if name in RESERVED_ITEM_NAMES:
                self.error(lines.get(name, node), f"item {name!r}: the name is taken; call the item otherwise")
            elif not ITEM_NAME.match(name):
                self.error(lines.get(name, node), f"item {name!r}: the rule's name for an item is lower-case "
                                                  "letters, digits and _ (k6_1: <the file's column>)")
        if not pairs:
            self.error(node, "name the items the rule reads")
        return tuple(pairs)

    def reverse(self, items: tuple[tuple[str, str], ...]) -> tuple[tuple[str, ...], tuple[float, float] | None]:
        """Reversed items need the items' range: an answer ``v`` becomes ``lo + hi − v``."""
        node = self.options.get("reverse")
        scale_node = self.options.get("item_scale")
        item_scale = self.numbers(scale_node, "item_scale") if scale_node is not None else None
        if node is None:
            return (), item_scale
        names = self.reader.texts(node, "reverse")
        known = {name for name, _ in items}
        if unknown := [n for n in names if n not in known]:
            self.error(node, f"reverse names {', '.join(unknown)}, not an item of {self.code}; its items are "
                             f"{', '.join(sorted(known))}")
        if names and scale_node is None:
            self.error(node, "reversed items need their range: item_scale: [lowest answer, highest answer]")
        return names, item_scale

    def bind(self, rule: str, items: list[str], kind: str) -> None:
        """Bind the rule against an empty relation of the item columns, as the indicator stage will run it."""
        node = self.options["rule"]
        con = duckdb.connect(config={"enable_external_access": False})
        try:
            if len(con.extract_statements(f"SELECT ({rule})")) != 1:
                raise duckdb.ParserException("the rule must be one expression, without ';'")
            tree = con.execute("SELECT json_serialize_sql($q)", {"q": f"SELECT ({rule})"}).fetchall()[0][0]
            if '"SUBQUERY"' in tree:
                raise duckdb.ParserException("the rule reads only its items: no subquery (SELECT …)")
            columns = ", ".join(f'NULL::DOUBLE AS "{name}"' for name in items)
            con.execute(f"CREATE TEMP TABLE items AS SELECT {columns} LIMIT 0").fetchall()
            (_, kind_of, *_), = con.execute(f"DESCRIBE SELECT ({rule}) AS value FROM items").fetchall()
        except duckdb.Error as exc:
            self.error(node, f"the rule is not SQL DuckDB can run over the items {', '.join(items)}: "
                             f"{_first_line(exc)}")
            return
        finally:
            con.close()
        numeric = kind_of.split("(")[0] in NUMERIC_TYPES
        if kind == "share" and not (kind_of == "BOOLEAN" or numeric):
            self.error(node, f"a share's rule says yes or no for a respondent (true/false or 1/0); this one "
                             f"gives {kind_of}")
        elif kind == "mean" and not numeric:
            self.error(node, f"a mean's rule gives a respondent's score, a number; this one gives {kind_of}")


def _first_line(exc: Exception) -> str:
    """DuckDB's message without its error class prefix and the caret lines after it."""
    text = str(exc).splitlines()[0]
    return re.sub(r"^[A-Za-z ]+ Error: ", "", text)


def catalogue_rows(mappings) -> pd.DataFrame:
    """The declared measures of ``mappings`` as catalogue rows (``catalogue.declare``):
    programme indicators (domain ``P``) over respondents, of source ``declared``;
    ``programme`` is the programme the mapping's constants give its files (empty when
    its files name their own), so only that programme can have the measure."""
    rows = []
    for mapping in mappings:
        programme = next((value for target, value, _ in mapping.constants if target == "programme_id"), "")
        for m in mapping.indicators:
            low, high = m.item_scale or (float("nan"), float("nan"))
            rows.append({
                "code": m.code, "name": m.name("en"), "domain": "P", "weight": float("nan"), "kind": m.kind,
                "unit": "percent" if m.kind == "share" else f"score {m.scale_min:g}-{m.scale_max:g}",
                "scale_min": m.scale_min, "scale_max": m.scale_max, "population": m.population,
                "counts": "respondents", "source": "declared", "items": "|".join(n for n, _ in m.items),
                "rule_sql": m.rule, "success_rule": f"declared in {mapping.path}: {m.rule}", "proxy": False,
                "citation": m.citation, "mapping": mapping.path, "item_columns": "|".join(c for _, c in m.items),
                "reverse": "|".join(m.reverse), "item_min": low, "item_max": high, "names": dict(m.names),
                "programme": programme,
            })
    return pd.DataFrame(rows)
