"""Read a mapping file and check it whole, before any data is touched.

A mistake in a mapping would otherwise surface as thousands of quarantined cells, or
worse as answers silently given the wrong code. So every statement of the file is
checked against the contract here — the target columns exist, no target is given
twice, every answer code is one the target accepts, no answer is listed twice — and
each error names the file and the line, as an M&E officer's editor shows it.

The file is read through ``pipelines.yamlfile``, whose nodes keep their line numbers
and scalars the text that was typed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import yaml

from pipelines import vocabulary, yamlfile
from pipelines.mapping.measures import DeclaredIndicator, read_indicators
from schemas import CONTRACTS

SUFFIXES = (".yaml", ".yml")
TOP_KEYS = ("kind", "files", "constants", "columns", "derived", "ignore", "indicators")
DERIVATIONS = {
    "sum": "the sum of two or more numbered answers",
    "age": "the birth year from the age at interview and the interview date",
    "join": "several columns joined into one text, such as an id made of a district and a number",
    "choice": "yes or no: whether a select-multiple question's answer (its space-separated column) holds an option",
}


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the file and each line."""


@dataclass(frozen=True)
class MappedColumn:
    """One column of the file given to one contract column, with its own answers."""

    source: str  # the file's header, as written in the mapping
    target: str
    line: int
    values: tuple[tuple[str, str], ...] = ()  # (answer as written in the file, code)
    reverse: bool = False  # a numbered item asked the other way round (0–5 → 5–0)


@dataclass(frozen=True)
class Derived:
    """A contract column computed from other columns of the file (``DERIVATIONS``)."""

    target: str
    how: str
    sources: tuple[str, ...]  # sum, join: the parts; age: (age, interview date); choice: (the question,)
    line: int
    separator: str = "-"
    option: str = ""  # choice: the option's name


@dataclass(frozen=True)
class Mapping:
    """One questionnaire's description; ``path`` is as shown to people (relative to the data root)."""

    path: str
    kind: str | None
    files: tuple[str, ...] = ()
    constants: tuple[tuple[str, str, int], ...] = ()  # (target, value, line)
    columns: tuple[MappedColumn, ...] = ()
    derived: tuple[Derived, ...] = ()
    ignore: tuple[str, ...] = ()
    indicators: tuple[DeclaredIndicator, ...] = ()  # the questionnaire's own outcome measures

    def where(self, line: int) -> str:
        return f"{self.path} line {line}"

    @property
    def signature(self) -> tuple[str, ...]:
        """The headers a file must carry to be recognised by this mapping without a
        ``files`` rule: every column it maps, derives from or keeps for an indicator."""
        names = [c.source for c in self.columns] + [s for d in self.derived for s in d.sources]
        names += [column for i in self.indicators for _, column in i.items]
        return tuple(dict.fromkeys(names))

    @property
    def targets(self) -> frozenset[str]:
        return frozenset([c.target for c in self.columns] + [d.target for d in self.derived]
                         + [t for t, _, _ in self.constants])


def load_mappings(folder: Path, shown_from: Path | None = None) -> tuple[Mapping, ...]:
    """Every mapping file of ``folder`` (sorted by name); all their errors in one exception."""
    if not folder.is_dir():
        return ()
    found, errors = [], []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()):
        try:
            found.append(load_mapping(path, shown_from))
        except MappingError as exc:
            errors.append(str(exc))
    errors += _codes_declared_twice(found)
    if errors:
        raise MappingError("\n".join(errors))
    return tuple(found)


def _codes_declared_twice(mappings: list[Mapping]) -> list[str]:
    """An indicator code is one indicator of the whole data root, whichever file declares it."""
    first: dict[str, str] = {}
    errors = []
    for mapping in mappings:
        for declared in mapping.indicators:
            where = mapping.where(declared.line)
            if declared.code in first:
                errors.append(f"{where}: {declared.code} is declared by {first[declared.code]} already; an "
                              "indicator code is declared once in a data root")
            else:
                first[declared.code] = where
    return errors


def load_mapping(path: Path, shown_from: Path | None = None) -> Mapping:
    shown = path.relative_to(shown_from).as_posix() if shown_from else str(path)
    return _Reader(shown).read(yamlfile.compose(path, shown, MappingError))


class _Reader:
    """Turns the composed YAML into a ``Mapping``, collecting every error with its line."""

    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.errors: list[str] = []
        self.given: dict[str, int] = {}  # target → the line that gives it

    def where(self, line: int) -> str:
        return f"{self.shown} line {line}"

    def error(self, node: yaml.Node, text: str) -> None:
        self.errors.append(f"{self.where(yamlfile.line(node))}: {text}")

    def read(self, root: yaml.Node | None) -> Mapping:
        top = self.mapping_items(root, "the file") if root is not None else []
        if root is None:
            self.errors.append(f"{self.shown}: the file is empty; see docs/questionnaire.md for the format")
        sections = {}
        for key, value in top:
            if key.value not in TOP_KEYS:
                self.error(key, f"unknown section {key.value!r}; expected one of {', '.join(TOP_KEYS)}")
            else:
                sections[key.value] = value
        kind = self.kind(sections.get("kind"))
        columns = self.columns(sections.get("columns"), kind)
        derived = self.derived(sections.get("derived"), kind)
        constants = self.constants(sections.get("constants"), kind)
        ignore = self.texts(sections.get("ignore"), "ignore")
        indicators = read_indicators(self, sections.get("indicators"), kind)
        for declared in indicators:
            if kept := sorted({_header(c) for _, c in declared.items} & {_header(c) for c in ignore}):
                self.errors.append(f"{self.where(declared.line)}: {declared.code} reads {', '.join(kept)}, which "
                                   "the mapping ignores; take it out of ignore")
        mapping = Mapping(self.shown, kind, self.texts(sections.get("files"), "files"), constants, columns,
                          derived, ignore, indicators)
        if kind is None and mapping.targets and not _kinds_with(mapping.targets):
            self.errors.append(f"{self.shown}: no kind of file has all of {', '.join(sorted(mapping.targets))}; "
                               "give the kind (kind: survey, groups or attendance)")
        if root is not None and not (mapping.targets or mapping.ignore or mapping.indicators):
            self.errors.append(f"{self.shown}: the mapping gives no column (columns, derived or constants)")
        if self.errors:
            raise MappingError("\n".join(self.errors))
        return mapping

    def mapping_items(self, node: yaml.Node, what: str) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
        """The (key, value) pairs of a mapping node; a key given twice is an error."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a list of 'name: value' lines")
            return []
        seen: dict[str, int] = {}
        items = []
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                self.error(key, f"a name in {what} must be plain text")
                continue
            folded = _header(key.value)
            if folded in seen:
                self.error(key, f"{key.value!r} is given twice in {what} (also line {seen[folded]})")
                continue
            seen[folded] = yamlfile.line(key)
            items.append((key, value))
        return items

    def texts(self, node: yaml.Node | None, what: str) -> tuple[str, ...]:
        if node is None:
            return ()
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
        out = []
        for item in nodes:
            if not isinstance(item, yaml.ScalarNode) or not item.value.strip():
                self.error(item, f"{what} must be a list of texts")
            else:
                out.append(item.value.strip())
        return tuple(out)

    def kind(self, node: yaml.Node | None) -> str | None:
        if node is None:
            return None
        if not isinstance(node, yaml.ScalarNode) or node.value not in CONTRACTS:
            self.error(node, f"kind must be one of {', '.join(CONTRACTS)}")
            return None
        return node.value

    def target(self, node: yaml.Node, kind: str | None) -> str | None:
        """A contract column given once; None (with an error) otherwise."""
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, "the contract column must be a name such as who5_3")
            return None
        name = node.value.strip()
        known = _columns(kind)
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
            where = f"a {kind} file" if kind else "any kind of file"
            hint = f" — did you mean {close[0]}?" if close else " (see docs/data-contract.md)"
            self.error(node, f"{name} is not a column of {where}{hint}")
            return None
        if name in self.given:
            self.error(node, f"{name} is already given by line {self.given[name]}; a contract column takes "
                             "one source")
            return None
        self.given[name] = yamlfile.line(node)
        return name

    def columns(self, node: yaml.Node | None, kind: str | None) -> tuple[MappedColumn, ...]:
        if node is None:
            return ()
        out = []
        for source, spec in self.mapping_items(node, "columns"):
            if isinstance(spec, yaml.MappingNode):
                options = {k.value: v for k, v in self.mapping_items(spec, f"column {source.value!r}")}
                unknown = set(options) - {"to", "values", "reverse"}
                if unknown:
                    self.error(spec, f"column {source.value!r}: unknown option {', '.join(sorted(unknown))}; "
                                     "expected to, values, reverse")
                if "to" not in options:
                    self.error(spec, f"column {source.value!r}: say which contract column it is (to: …)")
                    continue
                target = self.target(options["to"], kind)
            else:
                options = {}
                target = self.target(spec, kind)
            if target is None:
                continue
            values = self.values(options.get("values"), target, kind)
            reverse = self.reverse(options.get("reverse"), target, kind)
            out.append(MappedColumn(source.value.strip(), target, yamlfile.line(source), values, reverse))
        return tuple(out)

    def values(self, node: yaml.Node | None, target: str, kind: str | None) -> tuple[tuple[str, str], ...]:
        """Answer → code, either as one list or grouped by language (``ru:``, ``uk:``, …);
        the same spelling may stand in two languages only for the same code."""
        if node is None:
            return ()
        out, seen = [], {}
        items = self.mapping_items(node, f"the answers of {target}")
        grouped = bool(items) and all(isinstance(v, yaml.MappingNode) for _, v in items)
        for language, group in items if grouped else [(None, node)]:
            if language is not None and language.value not in vocabulary.LANGUAGES:
                self.error(language, f"{language.value!r} is not a language of the questionnaire; expected one "
                                     f"of {', '.join(vocabulary.LANGUAGES)}")
                continue
            in_group = set()
            pairs = self.mapping_items(group, f"the answers of {target}") if grouped else items
            for answer, code in pairs:
                folded = _fold(answer.value)
                earlier = seen.get(folded)
                text = code.value.strip() if isinstance(code, yaml.ScalarNode) else ""
                if folded in in_group or (earlier and earlier[1] != text):
                    self.error(answer, f"the answer {answer.value!r} of {target} is given twice (also line "
                                       f"{earlier[0]}); case, spaces and a final full stop are ignored")
                    continue
                in_group.add(folded)
                seen[folded] = (yamlfile.line(answer), text)
                if self.code(code, target, kind):
                    out.append((answer.value, text))
        return tuple(out)

    def code(self, node: yaml.Node, target: str, kind: str | None) -> bool:
        """Whether ``node`` is a value ``target`` accepts; an error naming the line if not."""
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"the code for {target} must be a single value")
            return False
        problem = _code_problem(target, node.value.strip(), kind)
        if problem:
            self.error(node, problem)
        return problem is None

    def reverse(self, node: yaml.Node | None, target: str, kind: str | None) -> bool:
        if node is None:
            return False
        if not isinstance(node, yaml.ScalarNode) or node.value.lower() not in ("true", "yes", "false", "no"):
            self.error(node, "reverse must be true or false")
            return False
        wanted = node.value.lower() in ("true", "yes")
        if wanted and _range(target, kind) is None:
            self.error(node, f"reverse is for numbered items with a fixed range (such as who5_1, 0–5); "
                             f"{target} has none: give its answers under values instead")
            return False
        return wanted

    def derived(self, node: yaml.Node | None, kind: str | None) -> tuple[Derived, ...]:
        if node is None:
            return ()
        out = []
        for key, spec in self.mapping_items(node, "derived"):
            target = self.target(key, kind)
            options = {k.value: v for k, v in self.mapping_items(spec, f"derived {key.value!r}")}
            hows = [h for h in options if h in DERIVATIONS]
            if len(hows) != 1 or set(options) - {*DERIVATIONS, "date", "separator", "option"}:
                self.error(spec, f"derived {key.value}: say how, with one of "
                                 + "; ".join(f"{h} ({text})" for h, text in DERIVATIONS.items()))
                continue
            how = hows[0]
            parts = self.texts(options[how], how)
            if how == "age":
                if target not in (None, "birth_year") or "date" not in options or len(parts) != 1:
                    self.error(spec, "age gives birth_year from two columns: age: <the age column> and "
                                     "date: <the interview date column>")
                    continue
                parts = parts + self.texts(options["date"], "date")
            elif how == "choice":
                option = options.get("option")
                if len(parts) != 1 or not isinstance(option, yaml.ScalarNode) or len(option.value.split()) != 1:
                    self.error(spec, "choice gives yes or no from one select-multiple column: choice: <the "
                                     "question's column> and option: <the option's name, as the export writes it>")
                    continue
                if target is not None and _parse(target, kind) != "yes_no":
                    self.error(key, f"choice gives yes or no, and {target} is not a yes/no item")
                    continue
            elif len(parts) < 2:
                self.error(options[how], f"{how} needs at least two columns of the file")
                continue
            elif how == "sum" and target is not None and _range(target, kind) is None:
                self.error(key, f"sum gives a number, and {target} is not a numbered item")
                continue
            separator = options.get("separator")
            if target is not None:
                option = options.get("option")
                out.append(Derived(target, how, parts, yamlfile.line(key),
                                   separator.value if isinstance(separator, yaml.ScalarNode) else "-",
                                   option.value.strip() if isinstance(option, yaml.ScalarNode) else ""))
        return tuple(out)

    def constants(self, node: yaml.Node | None, kind: str | None) -> tuple[tuple[str, str, int], ...]:
        if node is None:
            return ()
        out = []
        for key, value in self.mapping_items(node, "constants"):
            target = self.target(key, kind)
            if target is not None and self.code(value, target, kind):
                out.append((target, value.value.strip(), yamlfile.line(key)))
        return tuple(out)


def _header(text: str) -> str:
    """A header as ingestion compares it (``normalise.header_key``): case and spaces ignored."""
    return text.strip().lstrip("\ufeff").strip().lower().replace(" ", "_")


def _fold(text: str) -> str:
    return vocabulary.fold(pd.Series([text], dtype="str")).iloc[0]


@cache
def _schema_columns(kind: str) -> dict:
    return dict(CONTRACTS[kind].to_schema().columns)


def _columns(kind: str | None) -> list[str]:
    kinds = [kind] if kind else list(CONTRACTS)
    return list(dict.fromkeys(name for k in kinds for name in _schema_columns(k)))


def _kinds_with(targets: frozenset[str]) -> list[str]:
    return [kind for kind in CONTRACTS if targets <= set(_schema_columns(kind))]


def _column(target: str, kind: str | None):
    for k in [kind] if kind else _kinds_with(frozenset([target])):
        return _schema_columns(k)[target]
    return None


def _parse(target: str, kind: str | None) -> str:
    column = _column(target, kind)
    return ((column.metadata or {}) if column is not None else {}).get("parse", "text")


def _range(target: str, kind: str | None) -> tuple[int, int] | None:
    column = _column(target, kind)
    for check in column.checks if column is not None else ():
        if check.name == "in_range":
            return int(check.statistics["min_value"]), int(check.statistics["max_value"])
    return None


def _code_problem(target: str, value: str, kind: str | None) -> str | None:
    """Why ``value`` cannot be a value of ``target`` (None when it can)."""
    column = _column(target, kind)
    meta = (column.metadata or {}) if column is not None else {}
    parse = meta.get("parse", "text")
    if not value:
        return f"the value for {target} is empty"
    if parse in ("code", "yes_no"):
        codes = vocabulary.codes(meta.get("scale") or vocabulary.YES_NO)
        if value not in codes:
            return f"{value!r} is not an answer code of {target}; expected one of {', '.join(codes)}"
    elif parse == "integer":
        bounds = _range(target, kind)
        if not re.fullmatch(r"-?\d+", value) or (bounds and not bounds[0] <= int(value) <= bounds[1]):
            expected = f"{bounds[0]}–{bounds[1]}" if bounds else "a whole number"
            return f"{value!r} is not a value of {target}; expected {expected}"
    elif parse == "wave" and not re.fullmatch(vocabulary.WAVE_PATTERN, value):
        return f"{value!r} is not a wave; expected baseline, followup1, followup2, …"
    return None
