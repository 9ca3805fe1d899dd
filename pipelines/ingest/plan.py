"""How to read one file, decided once from its header: the file's plan.

The plan says what kind of file it is (groups, survey, attendance), its layout (one
row per record, or an attendance register typed as a grid of persons × dates), and
for every contract column where its value comes from: a column of the file, a
constant, or nowhere. It also carries what the header gets wrong, decided here and
never row by row: a required column that is missing, or a header cell that closely
resembles a contract column the file does not have (``who5_33`` for ``who5_3``,
``interview_dat`` for ``interview_date``), each as one sentence with the suggestion.

A plan is plain data (``to_dict``, stored in ``raw_files.plan``) so that it can be
logged, tested, and built from something other than a header: a mapping file
(``mapped.py``) fills the same shape — a ``Source`` with a ``constant`` (programme,
wave, arm per file or folder), with its own answers (``values``, joined before the
shared vocabulary in that column's dictionary, ``convert.py``), ``reverse``d, or
``derive``d from other columns; its ignored columns leave ``problems``. A workbook's
sheet gives the same cells view as a text file (``workbook.py``).
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from pipelines import vocabulary
from pipelines.ingest import registers
from pipelines.ingest.discover import KIND_SIGNATURES, detect_kind
from pipelines.ingest.normalise import canonical_name, contract_columns, header_key, is_choice_column
from schemas import CONTRACTS, KEYS

# KoboToolbox: meta/rootUuid stays the same across edits of a submission, and
# _submission_time (UTC) says which version is the latest.
SUBMISSION_HEADERS = {"meta/rootuuid": "submission_id", "_submission_time": "submitted_at"}
# How alike a header and a contract column (or its question label) must be to be
# suggested: who5_33/who5_3 scores 0.92, interview_dat/interview_date 0.96, while
# full_name/group_name scores 0.63.
CLOSE_MATCH = 0.8
# ``suggest`` compares a missing column with at most this many header cells, the first
# ones not used: a header of 10,000 cells once took 30 to 75 s of difflib, and real
# headers have a few hundred. A cell further right gets no suggestion.
SUGGEST_CELLS = 1_000


@dataclass(frozen=True)
class Source:
    """Where a contract column's values come from: a file column (0-based ``position``,
    ``header`` as written), a ``constant`` for every row, or (a mapping file's derived
    item) ``derive`` computed from the columns at ``parts``; none means absent.

    ``values`` are a mapping file's own answers for this column (answer as written,
    code), tried before the shared vocabulary; ``reverse`` mirrors a numbered item in
    its range (0–5 → 5–0)."""

    position: int | None = None
    header: str = ""
    constant: str | None = None
    values: tuple[tuple[str, str], ...] = ()
    reverse: bool = False
    derive: str | None = None  # sum, age, join or choice (pipelines/mapping/load.py)
    parts: tuple[int, ...] = ()
    separator: str = ""
    option: str = ""  # choice: the select-multiple option that means yes


@dataclass(frozen=True)
class HeaderProblem:
    """A contract column the header lacks, with the header cell that looks like it."""

    column: str
    required: bool
    suggestion: str | None = None
    advice: str = ""  # replaces the generic sentence where the layout has a better one

    @property
    def message(self) -> str:
        if self.advice:
            return self.advice
        text = f"column {self.column} is missing"
        if self.suggestion is not None:
            text += f" — did you mean {self.suggestion}? (rename it to {self.column})"
        if self.required:
            text += f"; {self.column} is required, so no row of this file can be loaded"
        return text


@dataclass(frozen=True)
class FilePlan:
    kind: str
    sources: dict[str, Source]
    layout: str = "long"  # or "grid": a register of persons × session dates
    dates: dict[int, str] = field(default_factory=dict)  # grid: file position → date header
    submission: dict[str, int] = field(default_factory=dict)  # Kobo: submission_id/submitted_at → position
    ignored: tuple[str, ...] = ()  # header cells that feed nothing
    problems: tuple[HeaderProblem, ...] = ()
    mapping: str | None = None  # the mapping file applied, as shown (mappings/brc.yaml)
    # a survey column a declared indicator of the mapping reads (its name in the mapping)
    # → file position; kept in survey_items, not dropped as outside the contract
    items: dict[str, int] = field(default_factory=dict)
    items_missing: tuple[str, ...] = ()  # sentences: an item column the file lacks
    # an item column → the answers its declarations allow (low, high, who says so); an
    # answer outside, or not a number, is quarantined as a cell (rows.py)
    item_scales: dict[str, tuple[float, float, str]] = field(default_factory=dict)

    @property
    def cells_per_record(self) -> int:
        """Rows a record of the file gives: one per date column of a grid register."""
        return len(self.dates) if self.layout == "grid" else 1

    @property
    def needed(self) -> list[int]:
        """File positions that are read; every other column is parsed and dropped."""
        used = {s.position for s in self.sources.values() if s.position is not None}
        used |= {p for s in self.sources.values() for p in s.parts}
        return sorted(used | set(self.dates) | set(self.submission.values()) | set(self.items.values()))

    @property
    def missing_required(self) -> list[HeaderProblem]:
        return [p for p in self.problems if p.required]

    def notes(self) -> list[str]:
        notes = []
        if self.layout == "grid":
            notes.append(
                f"attendance register as a grid of {len(self.dates)} date columns: each (person, date) "
                "cell is one row, and rows_read counts cells"
            )
        notes += [p.message for p in self.problems]
        notes += list(self.items_missing)
        ignored = [name for name in self.ignored if name not in self.dates.values()]
        if ignored:
            notes.append(f"columns outside the contract were dropped: {', '.join(ignored)}")
        return notes

    def to_dict(self) -> dict:
        return asdict(self)


def plan_file(header: list[str], file_name: str) -> FilePlan | None:
    """How to read a file with this header, or None when it matches no kind."""
    found = header_positions(header, None)[0]
    dates = registers.date_columns(header)
    if registers.is_register(found, dates):
        positions, ignored = header_positions(header, "attendance")
        positions = {k: v for k, v in positions.items() if k not in registers.PER_SESSION}
        ignored = [cell.strip() for i, cell in enumerate(header) if i not in positions.values() and i not in dates]
        sources = {name: _source(header, positions, name) for name in contract_columns("attendance")}
        problems = tuple(
            HeaderProblem(name, True, suggest(name, header, positions.values()), registers.NO_GROUP_COLUMN)
            for name in ("group_id",) if name not in positions
        )
        return FilePlan("attendance", sources, "grid", dates, {}, tuple(ignored), problems)
    kind = detect_kind(set(found), file_name)
    if kind is None:
        return None
    positions, ignored = header_positions(header, kind)
    sources = {name: _source(header, positions, name) for name in contract_columns(kind)}
    return FilePlan(kind, sources, "long", {}, submission_columns(kind, header), tuple(ignored),
                    header_problems(kind, header, set(positions), positions.values()))


def submission_columns(kind: str, header: list[str]) -> dict[str, int]:
    """KoboToolbox's edit keys of a survey (both or neither): name → position."""
    if kind != "survey":
        return {}
    keys = [header_key(cell) for cell in header]
    found = {name: keys.index(h) for h, name in SUBMISSION_HEADERS.items() if h in keys}
    return found if len(found) == 2 else {}


def unrecognised_hint(header: list[str]) -> str:
    """For a header that matches no kind: the close matches of the signature columns."""
    positions = header_positions(header, None)[0]
    hints = []
    for _, signature in KIND_SIGNATURES:
        for name in sorted(signature - set(positions)):
            guess = suggest(name, header, positions.values())
            if guess is not None and (name, guess) not in hints:
                hints.append((name, guess))
    return "; ".join(f"column {name} is missing — did you mean {guess}?" for name, guess in hints)


def header_problems(kind: str, header: list[str], present: set[str], used: Iterable[int]) -> tuple[HeaderProblem, ...]:
    """Each contract column the file does not give (``present``) that is required or has
    a look-alike among the header cells not ``used``."""
    schema = CONTRACTS[kind].to_schema()
    used = set(used)
    problems = []
    for name, column in schema.columns.items():
        if name in present:
            continue
        required = not column.nullable or name in KEYS[kind]
        guess = suggest(name, header, used)
        if required or guess is not None:
            problems.append(HeaderProblem(name, required, guess))
    return tuple(problems)


def suggest(column: str, header: list[str], used: Iterable[int]) -> str | None:
    """The header cell most like ``column`` (its name or question label), if close,
    among the first ``SUGGEST_CELLS`` not ``used``."""
    used = set(used)
    labels = [label for label, name in vocabulary.question_labels().items() if name == column]
    # one matcher per name compared with every cell: difflib indexes its second text once
    name = difflib.SequenceMatcher(None, "", column)
    questions = [difflib.SequenceMatcher(None, "", label) for label in labels]
    best, best_score = None, CLOSE_MATCH
    cells = (cell for index, cell in enumerate(header) if index not in used and cell.strip())
    for cell in itertools.islice(cells, SUGGEST_CELLS):
        key = header_key(cell)
        pairs = [(name, text) for text in {key, *(key.rsplit(sep, 1)[-1] for sep in "/-:")}]
        pairs += [(question, vocabulary.fold_header(cell)) for question in questions]
        score = max(_likeness(matcher, text, best_score) for matcher, text in pairs)
        if score >= best_score:
            best, best_score = cell.strip(), score
    return best


def _likeness(matcher: difflib.SequenceMatcher, text: str, floor: float) -> float:
    """difflib's ratio of ``text`` to the matcher's name, or 0 when its cheap upper
    bounds (lengths, then letters) are already below ``floor``: the same suggestions
    for a fraction of the work."""
    matcher.set_seq1(text)
    if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
        return 0.0
    return matcher.ratio()


def header_positions(header: list[str], kind: str | None) -> tuple[dict[str, int], list[str]]:
    """Canonical column → file position, and the header cells left unused."""
    known = set(contract_columns(kind)) if kind else {n for k in CONTRACTS for n in contract_columns(k)}
    keys = {header_key(cell) for cell in header}
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        name = None if is_choice_column(cell, keys) else canonical_name(cell, known)
        if name is None or name in positions:
            ignored.append(cell.strip())
        else:
            positions[name] = index
    return positions, ignored


def _source(header: list[str], positions: dict[str, int], name: str) -> Source:
    if name in positions:
        return Source(positions[name], header[positions[name]].strip())
    return Source()
