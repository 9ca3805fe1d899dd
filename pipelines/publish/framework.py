"""Results frameworks: a programme's logframe targets, one YAML file per programme in
the data root's ``frameworks/`` folder (docs/results.md).

A grant is written against a logframe: for each indicator a baseline, a target and a
date. The file names the indicator by its catalogue code, so the actual comes from the
same published figure as the report's, and carries the grant's own name and reference
for it, so the funder recognises the row. It is checked whole before anything is
computed, and each error names the file and the line an M&E officer will fix.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipelines import catalogue, yamlfile

SUFFIXES = (".yaml", ".yml")
FROM_DATA = "from data"
DIMENSIONS = ("sex", "age_band")
# Domain scores and national statistics are not a programme's own measurement.
MEASURED_SOURCES = (*catalogue.SURVEY_SOURCES, *catalogue.REGISTER_SOURCES)


class FrameworkError(ValueError):
    """A framework file that cannot be used; the message names the file and each line."""


def _measured() -> pd.DataFrame:
    df = catalogue.indicators()
    return df[df["source"].isin(MEASURED_SOURCES)].set_index("code")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Organisation(_Strict):
    ref: str = Field(min_length=1)  # the organisation identifier (IATI org-id, e.g. XM-DAC-41114)
    type: str = Field(pattern=r"^\d{2}$")  # IATI OrganisationType code, e.g. 22 (national NGO)
    name: str = Field(min_length=1)


class Iati(_Strict):
    """What the IATI activity around the results needs and only the organisation knows."""

    identifier: str = Field(min_length=1)  # the activity's iati-identifier, as registered
    reporting_org: Organisation
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    activity_status: Literal["1", "2", "3", "4", "5", "6"] = "2"  # IATI ActivityStatus: 2 implementation
    report_url: str | None = None  # where the report is published: the results' document-link


class Target(_Strict):
    """One logframe row. ``baseline`` is a number, or ``from data``: the programme's
    published baseline-wave figure."""

    code: str
    name: str = Field(min_length=1)  # the grant's own name for the indicator
    reference: str = ""  # the grant's own reference, e.g. "Outcome 1.2"
    result: str = ""  # the logframe result it measures; rows sharing one form one IATI result
    baseline: float | Literal["from data"]
    baseline_year: int | None = Field(default=None, ge=1990, le=2100)
    target: float
    target_date: date
    ascending: bool = True  # false when a fall is the aim (loneliness)
    disaggregation: tuple[Literal["sex", "age_band"], ...] = ()

    @field_validator("code")
    @classmethod
    def _known(cls, code: str) -> str:
        known = _measured()
        if code not in known.index:
            raise ValueError(f"unknown indicator {code!r}; use a code of the programme's figures "
                             "(pipelines/reference/indicators.csv), such as 4.3 or P.who5_mean, or a measure a "
                             "mapping file declares")
        return code

    @field_validator("baseline", mode="before")
    @classmethod
    def _baseline_text(cls, value: object) -> object:
        """One clear error for a baseline that is neither (not one per member of the union)."""
        if isinstance(value, str) and not _is_number(value):
            if value.strip().lower() != FROM_DATA:
                raise ValueError(f"the baseline is a number or 'from data', not {value!r}")
            return FROM_DATA
        return value

    @model_validator(mode="after")
    def _on_scale(self) -> Target:
        row = _measured().loc[self.code]
        low = float(row["scale_min"]) if pd.notna(row["scale_min"]) else 0.0
        high = float(row["scale_max"]) if pd.notna(row["scale_max"]) else None
        scale = f"{low:g}–{high:g}" if high is not None else f"{low:g} or more"
        for field in ("target", "baseline"):
            value = getattr(self, field)
            if isinstance(value, float) and (value < low or (high is not None and value > high)):
                raise _FieldError(field, f"{value:g} is outside the scale of {self.code} ({scale} {row['unit']})")
        if self.baseline == FROM_DATA and row["source"] not in catalogue.SURVEY_SOURCES:
            raise _FieldError("baseline", f"{self.code} is counted from the registers, which have no baseline "
                                          "wave: give the baseline as a number")
        return self


class Framework(_Strict):
    programme: str = Field(min_length=1)
    start: date  # the grant's start: register counts are expected to grow from here
    iati: Iati | None = None
    indicators: tuple[Target, ...]

    @model_validator(mode="after")
    def _rows(self) -> Framework:
        # here, not as the field's min_length: pydantic would add a length error to a list
        # whose only row is wrong
        if not self.indicators:
            raise _FieldError("indicators", "list at least one indicator with its target")
        for i, row in enumerate(self.indicators):
            if row.target_date <= self.start:
                raise _FieldError(("indicators", i, "target_date"),
                                  f"{row.target_date} is not after the framework's start ({self.start})")
        seen: dict[str, int] = {}
        for i, row in enumerate(self.indicators):
            if row.code in seen:
                raise _FieldError(("indicators", i, "code"), f"{row.code} has a target already "
                                                             f"(indicator {seen[row.code] + 1})")
            seen[row.code] = i
        return self


class _FieldError(ValueError):
    """A model check's error placed on a field, so the message can name its line."""

    def __init__(self, where: str | tuple, text: str) -> None:
        super().__init__(text)
        self.where = (where,) if isinstance(where, str) else where


def load_frameworks(folder: Path, shown_from: Path | None = None) -> tuple[tuple[Framework, str], ...]:
    """Every framework of ``folder`` with its file as shown (sorted by name); all their
    errors in one exception. Two files for one programme are an error."""
    if not folder.is_dir():
        return ()
    found, errors = [], []
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file()):
        try:
            found.append(load_framework(path, shown_from))
        except FrameworkError as exc:
            errors.append(str(exc))
    owners: dict[str, str] = {}
    for framework, shown in found:
        if framework.programme in owners:
            errors.append(f"{shown}: programme {framework.programme} already has a framework in "
                          f"{owners[framework.programme]}")
        owners.setdefault(framework.programme, shown)
    if errors:
        raise FrameworkError("\n".join(errors))
    return tuple(found)


def load_framework(path: Path, shown_from: Path | None = None) -> tuple[Framework, str]:
    shown = path.relative_to(shown_from).as_posix() if shown_from else str(path)
    document, lines, problems = yamlfile.plain(yamlfile.compose(path, shown, FrameworkError))
    errors = [f"{shown} line {line}: {text}" for line, text in problems]
    if document is None:
        errors.append(f"{shown}: the file is empty; see docs/results.md for the format")
    elif not errors:
        try:
            return Framework.model_validate(document), shown
        except ValidationError as exc:
            errors += [_message(shown, lines, error) for error in exc.errors()]
    raise FrameworkError("\n".join(errors))


def _message(shown: str, lines: dict, error: dict) -> str:
    loc = tuple(error["loc"])
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, _FieldError):
        loc, text = loc + cause.where, str(cause)
    elif error["type"] == "extra_forbidden":
        text = f"unknown field {loc[-1]!r}; see docs/results.md for the fields"
    elif error["type"] == "missing":
        text = f"{loc[-1]!r} is missing"
    elif error["type"] == "value_error" or isinstance(error["input"], (dict, list)):
        text = error["msg"].removeprefix("Value error, ")
    else:
        text = f"{error['msg']} (got {error['input']!r})"
    return f"{shown} line {yamlfile.line_of(lines, loc)}: {_place(loc)}: {text}"


def _place(loc: tuple) -> str:
    """``indicators[2].target``: 1-based, as the officer counts rows."""
    out = ""
    for part in loc:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the file"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
