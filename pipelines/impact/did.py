"""Difference-in-differences: participants' change against the comparison group's.

The contrast of the four arm × wave cell means, (participants' follow-up − baseline) −
(comparison follow-up − baseline), equal to the interaction of an OLS of the value on
arm × wave (a linear probability model for shares). Its variance is CR2 with the
participants' groups as clusters and each comparison respondent a cluster of their own
(they have no group: the assumption docs/impact.md states), with Satterthwaite degrees
of freedom (``fits.py``). Tested only when the participants span at least
``MIN_CLUSTERS`` named groups; a group's own DiD, against the programme's whole
comparison arm, is described. Assumption: without the programme, both arms would have
changed alike (parallel trends); two waves cannot test it.
"""

from __future__ import annotations

from functools import partial

from pipelines.impact import sentences
from pipelines.impact.rows import (
    Cell, cr2_clause, described, not_estimated, small_cell_mde, suppressed, tested, worded,
)
from pipelines.impact.rules import COMPARISON, PARTICIPANT
from pipelines.impact.verdict import untested


def did_row(cell: Cell, waves, comparison, fit, min_cell: int) -> dict:
    """``waves``: the participants' change fit (n0, n1, mean0, mean1); ``comparison``: the
    comparison cells (n0, n2, mean0, mean2); ``fit``: the DiD fit, None for a group."""
    row = cell.base("did")
    sizes = [int(waves.n0), int(waves.n1), int(comparison.n0), int(comparison.n2)]
    whole = cell.single_group  # a group is set against the whole comparison arm
    shows = [cell.shows(PARTICIPANT, "baseline"), cell.shows(PARTICIPANT, cell.wave),
             cell.shows(COMPARISON, "baseline", whole_arm=whole), cell.shows(COMPARISON, cell.wave, whole_arm=whole)]
    if min(sizes) < min_cell:
        c = [sentences.cell_size(n, s, min_cell) for n, s in zip(sizes, shows, strict=True)]
        reason = (f"participants {c[0]} at baseline and {c[1]} at {cell.wave}, comparison group {c[2]} and {c[3]}; "
                  f"each needs at least {min_cell}.")
        known = [n if s else 0 for n, s in zip(sizes, shows, strict=True)]
        return not_estimated(cell, row, reason, small_cell_mde(cell, "did", known, min_cell), min_cell)
    if cell.hidden(PARTICIPANT) or cell.hidden(COMPARISON, whole_arm=whole):
        return suppressed(cell, row)
    row["n"] = sum(sizes)
    treated = (waves.mean1 - waves.mean0) * cell.scale
    control = (comparison.mean2 - comparison.mean0) * cell.scale
    counts = (f"Participants {sizes[0]} at baseline and {sizes[1]} at {cell.wave}, comparison group {sizes[2]} "
              f"and {sizes[3]}")
    why = untested(single_group=whole, n_groups=0 if fit is None else fit.n_groups,
                   se=float("nan") if fit is None else fit.se)
    if why:
        described(row, why, treated - control, int(waves.n_group_clusters))
        row["note"] = f"{why.note} {counts}."
        if whole:
            row["note"] += f" Group {cell.group_id} against the programme's whole comparison group."
        row["sentence"] = sentences.described_did_sentence(cell.name, cell.kind, treated - control, cell.wave,
                                                           cell.who, treated, control, why.reason)
        return row
    tested(row, fit, cell.scale, int(fit.n_group_clusters))
    row["note"] = (f"{counts}; {cr2_clause(int(fit.n_group_clusters), fit.df)}, each comparison respondent a "
                   f"cluster of their own.")
    return worded(row, partial(sentences.did_sentence, cell.name, cell.kind, row["estimate"], row["ci_low"],
                               row["ci_high"], cell.wave, cell.who, treated, control))
