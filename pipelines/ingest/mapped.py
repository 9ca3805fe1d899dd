"""A file described by a mapping file: which mapping, and the plan it gives.

A mapping (``pipelines/mapping``) is chosen for a file by its ``files`` rule (globs
relative to raw/) or, without one, by its header signature: the file carries every
column the mapping reads. An explicit rule wins over a signature; of two of the same
sort, the first mapping file by name, and the log says which others matched.

The mapping only changes the plan — which file column, constant or derivation feeds
each contract column, and each column's own answers — so the reading, the per-cell
quarantine and its guarantees are those of every other file (``convert.py``,
``rows.py``). Header cells the mapping does not name are still recognised the usual
way (contract names, question labels, group paths).
"""

from __future__ import annotations

import difflib
import fnmatch
from dataclasses import replace

from pipelines.ingest import registers
from pipelines.ingest.discover import detect_kind
from pipelines.ingest.normalise import GROUP_SEPARATORS, contract_columns, header_key
from pipelines.ingest.plan import (
    CLOSE_MATCH, FilePlan, HeaderProblem, Source, header_positions, header_problems, plan_file, submission_columns,
)
from pipelines.mapping import Mapping
from schemas import CONTRACTS, KEYS


def choose(mappings: tuple[Mapping, ...], source_file: str, header: list[str],
           workbook: str | None = None) -> tuple[Mapping | None, str]:
    """The mapping for this file (a sheet: ``workbook`` is its file, which a rule may
    name instead), and a note when another one matched too."""
    keys = {header_key(cell) for cell in header}
    names = [source_file] + ([workbook] if workbook else [])
    by_rule = [m for m in mappings if any(fnmatch.fnmatch(n, p) for p in m.files for n in names)]
    by_header = [m for m in mappings if not m.files and m.signature
                 and all(_find(name, [*keys]) is not None for name in m.signature)]
    matched = by_rule or by_header
    if not matched:
        return None, ""
    note = ""
    if len(matched) > 1:
        note = f"{matched[0].path} was applied; {', '.join(m.path for m in matched[1:])} matched too"
    return matched[0], note


def mapped_plan(header: list[str], file_name: str, mapping: Mapping) -> FilePlan | None:
    """The plan of a file read through ``mapping``; None when no kind fits even so."""
    keys = [header_key(cell) for cell in header]
    if not mapping.columns and not mapping.derived:
        return _with_constants(header, file_name, mapping, keys)
    sources: dict[str, Source] = {}
    missing: list[HeaderProblem] = []
    for column in mapping.columns:
        position = _find(column.source, keys)
        if position is None:
            missing.append(_missing(mapping, column.source, column.target, column.line, header))
        else:
            sources[column.target] = Source(position, header[position].strip(), values=column.values,
                                            reverse=column.reverse)
    for derived in mapping.derived:
        parts = [_find(name, keys) for name in derived.sources]
        absent = [name for name, p in zip(derived.sources, parts) if p is None]
        for name in absent:
            missing.append(_missing(mapping, name, derived.target, derived.line, header))
        if not absent:
            sources[derived.target] = Source(header=" + ".join(derived.sources), derive=derived.how,
                                             parts=tuple(parts), separator=derived.separator, option=derived.option)
    for target, value, _ in mapping.constants:
        sources[target] = Source(constant=value)
    taken = {s.position for s in sources.values() if s.position is not None}
    taken |= {p for s in sources.values() for p in s.parts}
    ignored_by_mapping = {p for name in mapping.ignore if (p := _find(name, keys)) is not None}
    rest = ["" if i in taken | ignored_by_mapping else cell for i, cell in enumerate(header)]
    dates = {i: d for i, d in registers.date_columns(header).items() if i not in taken}
    named = dict.fromkeys(set(sources) | set(header_positions(rest, None)[0]), 0)
    if mapping.kind in (None, "attendance") and registers.is_register(named, dates):
        return _grid(header, mapping, sources, missing, rest, dates)
    kind = mapping.kind or detect_kind(set(named), file_name)
    if kind is None:
        return None
    auto = {name: p for name, p in header_positions(rest, kind)[0].items() if name not in mapping.targets}
    plan_sources = {}
    for name in contract_columns(kind):
        if name in sources:
            plan_sources[name] = sources[name]
        elif name in auto:
            plan_sources[name] = Source(auto[name], header[auto[name]].strip())
        else:
            plan_sources[name] = Source()
    items, items_missing = _items(mapping, keys, header) if kind == "survey" else ({}, ())
    scales = _item_scales(mapping, items)
    read = taken | set(auto.values()) | set(items.values())
    ignored = tuple(cell.strip() for i, cell in enumerate(header) if i not in read)
    problems = tuple(p for p in missing if p.column in plan_sources)
    present = set(sources) | set(auto) | {p.column for p in problems}
    problems += header_problems(kind, header, present, read | ignored_by_mapping)
    return FilePlan(kind, plan_sources, "long", {}, submission_columns(kind, header), ignored, problems,
                    mapping.path, items, items_missing, scales)


def _items(mapping: Mapping, keys: list[str], header: list[str]) -> tuple[dict[str, int], tuple[str, ...]]:
    """The columns the mapping's declared indicators read (kept in ``survey_items``), and
    a sentence for each one the file lacks: those indicators get no value from it."""
    items, missing = {}, []
    for declared in mapping.indicators:
        for _, column in declared.items:
            position = _find(column, keys)
            if position is not None:
                items[column] = position
            elif column not in items:
                close = difflib.get_close_matches(header_key(column), [header_key(c) for c in header], n=1,
                                                  cutoff=CLOSE_MATCH)
                hint = f" — did you mean {next(c.strip() for c in header if header_key(c) == close[0])}?" \
                    if close else ""
                missing.append(f"column {column} is missing ({mapping.where(declared.line)} reads it for "
                               f"{declared.code}){hint}; {declared.code} has no value from this file")
                items[column] = None
    return {c: p for c, p in items.items() if p is not None}, tuple(missing)


def _item_scales(mapping: Mapping, items: dict[str, int]) -> dict[str, tuple[float, float, str]]:
    """Each item column's answers allowed by the ``item_scale`` of every declaration that
    reads it (low, high, and which declarations say so, for the quarantine reason): one
    answer feeds each of them, so it must fit them all."""
    scales: dict[str, tuple[float, float, str]] = {}
    for declared in mapping.indicators:
        if declared.item_scale is None:
            continue
        low, high = declared.item_scale
        said = f"the item_scale of {declared.code}, {mapping.where(declared.line)}"
        for _, column in declared.items:
            if column not in items:
                continue
            if column in scales:
                before_low, before_high, before = scales[column]
                scales[column] = (max(low, before_low), min(high, before_high), f"{before}; {said}")
            else:
                scales[column] = (low, high, said)
    return scales


def _grid(header: list[str], mapping: Mapping, sources: dict[str, Source], missing: list[HeaderProblem],
          rest: list[str], dates: dict[int, str]) -> FilePlan:
    """A register typed as a grid whose person and group columns the mapping names
    (``registers.py``): one attendance row per (person, date) cell, as without a mapping."""
    auto = {name: p for name, p in header_positions(rest, "attendance")[0].items()
            if name not in mapping.targets and name not in registers.PER_SESSION}
    plan_sources = {}
    for name in contract_columns("attendance"):
        if name in sources and name not in registers.PER_SESSION and name not in ("session_date", "attended"):
            plan_sources[name] = sources[name]
        elif name in auto:
            plan_sources[name] = Source(auto[name], header[auto[name]].strip())
        else:
            plan_sources[name] = Source()
    read = {s.position for s in plan_sources.values()} | {p for s in plan_sources.values() for p in s.parts}
    ignored = tuple(cell.strip() for i, cell in enumerate(header) if i not in read | set(dates))
    problems = tuple(p for p in missing if p.column in plan_sources)
    group = plan_sources["group_id"]
    if (group.position, group.constant, group.derive) == (None, None, None) and \
            "group_id" not in {p.column for p in problems}:
        problems += (HeaderProblem("group_id", True, None, registers.NO_GROUP_COLUMN),)
    return FilePlan("attendance", plan_sources, "grid", dates, {}, ignored, problems, mapping.path)


def _with_constants(header: list[str], file_name: str, mapping: Mapping, keys: list[str]) -> FilePlan | None:
    """A mapping that only gives constants (a folder's programme, wave or arm) or
    ignores columns: the file is planned as usual — a register grid stays a grid — and
    the constants fill the columns of its kind, replacing the file's own if it has them."""
    hidden = {p for name in mapping.ignore if (p := _find(name, keys)) is not None}
    plan = plan_file(["" if i in hidden else cell for i, cell in enumerate(header)], file_name)
    if plan is None:
        return None
    constants = {target: value for target, value, _ in mapping.constants if target in plan.sources}
    sources = {name: Source(constant=constants[name]) if name in constants else source
               for name, source in plan.sources.items()}
    plan = replace(plan, sources=sources, mapping=mapping.path,
                   problems=tuple(p for p in plan.problems if p.column not in constants))
    read = set(plan.needed) | set(plan.dates)
    return replace(plan, ignored=tuple(c.strip() for i, c in enumerate(header) if i not in read))


def _find(name: str, keys: list[str]) -> int | None:
    """The position of a header named ``name`` (case and spaces ignored; a group path
    before it, ``section_b/Q7`` or ``grp-Q7``, allowed)."""
    wanted = header_key(name)
    for index, key in enumerate(keys):
        if key == wanted:
            return index
    for index, key in enumerate(keys):
        if any(sep in key and key.rsplit(sep, 1)[-1] == wanted for sep in GROUP_SEPARATORS):
            return index
    return None


def _missing(mapping: Mapping, source: str, target: str, line: int, header: list[str]) -> HeaderProblem:
    """A column the mapping reads that the file lacks: one sentence naming the mapping's line."""
    kind = mapping.kind or next(k for k in CONTRACTS if target in contract_columns(k))
    column = CONTRACTS[kind].to_schema().columns[target]
    required = not column.nullable or target in KEYS[kind]
    close = difflib.get_close_matches(header_key(source), [header_key(c) for c in header], n=1, cutoff=CLOSE_MATCH)
    guess = next((c.strip() for c in header if close and header_key(c) == close[0]), None)
    text = f"column {source} is missing ({mapping.where(line)} reads it for {target})"
    if guess is not None:
        text += f" — did you mean {guess}? (rename it to {source}, or correct the mapping)"
    if required:
        text += f"; {target} is required, so no row of this file can be loaded"
    return HeaderProblem(target, required, guess, text)
