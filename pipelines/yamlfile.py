"""YAML files written by people, read so that every error names the file and the line.

Mapping files (``pipelines/mapping``) and results frameworks (``pipelines/publish/
framework.py``) are typed by M&E officers in an editor; an error has to point at the line
they will fix. PyYAML's composer is used rather than ``safe_load``: its nodes keep line
numbers, a key given twice is still visible (a plain load keeps the last silently), and
scalars stay the text that was typed (YAML 1.1 would read ``yes`` as true and ``01`` as 1).
"""

from __future__ import annotations

from pathlib import Path

import yaml

Location = tuple[str | int, ...]  # a place in the document: keys and list positions, as pydantic's ``loc``


def compose(path: Path, shown: str, error: type[Exception] = ValueError) -> yaml.Node | None:
    """The file's node tree (None when it is empty); ``error`` naming ``shown`` and the
    line when it is not UTF-8 or not YAML."""
    try:
        return yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except UnicodeDecodeError as exc:
        raise error(f"{shown}: not a UTF-8 text file ({exc.reason}); save it as UTF-8") from exc
    except yaml.MarkedYAMLError as exc:
        raise error(f"{shown} line {(exc.problem_mark or exc.context_mark).line + 1}: not valid YAML: "
                    f"{exc.problem}") from exc


def line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def plain(node: yaml.Node | None) -> tuple[object, dict[Location, int], list[tuple[int, str]]]:
    """The document as dicts, lists and strings (scalars stay text, for a model to parse),
    the line of every place in it, and (line, problem) for keys that are not plain text
    or are given twice — what a validation model never sees once the tree is a dict."""
    lines: dict[Location, int] = {}
    problems: list[tuple[int, str]] = []

    def walk(n: yaml.Node, here: Location) -> object:
        lines[here] = line(n)
        if isinstance(n, yaml.MappingNode):
            out: dict[str, object] = {}
            for key, value in n.value:
                if not isinstance(key, yaml.ScalarNode):
                    problems.append((line(key), "a name must be plain text"))
                elif key.value in out:
                    problems.append((line(key), f"{key.value!r} is given twice (also line {lines[(*here, key.value)]})"))
                else:
                    out[key.value] = walk(value, (*here, key.value))
                    lines[(*here, key.value)] = line(key)  # the key's line, where an editor points
            return out
        if isinstance(n, yaml.SequenceNode):
            return [walk(item, (*here, i)) for i, item in enumerate(n.value)]
        return None if n.tag == "tag:yaml.org,2002:null" else n.value

    return (None if node is None else walk(node, ())), lines, problems


def line_of(lines: dict[Location, int], loc: Location) -> int:
    """The line of ``loc``, or of the nearest place above it that the file has (a missing
    key is reported on the line of the mapping that lacks it)."""
    while loc and loc not in lines:
        loc = loc[:-1]
    return lines.get(loc, 1)
