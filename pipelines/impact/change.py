"""Follow-up minus baseline among participants: everyone of each wave, or the people seen in both.

- ``change``: the difference of the two waves' means over everyone interviewed in
  each, people classed at each interview as in `indicators`. Its variance treats the
  groups as clusters across both waves (CR2, ``fits.py``), so a person seen twice is
  not counted as two independent answers, and neither is a group.
- ``paired_change``: the mean of each person's own change, over the people with the
  indicator in both waves, classed at their first interview; groups are the clusters.

Both are tested only when the participants span at least ``MIN_CLUSTERS`` named groups
and the row is not a single group's (``verdict.py``); otherwise they are described.
The pair count is published only when it cannot be subtracted from a published wave
total to show a small number of people seen only once.
"""

from __future__ import annotations

from functools import partial

from pipelines.impact import sentences
from pipelines.impact.rows import (
    Cell,
    cr2_clause,
    described,
    not_estimated,
    small_cell_mde,
    suppressed,
    tested,
    worded,
)
from pipelines.impact.rules import PARTICIPANT
from pipelines.impact.verdict import untested

UNANSWERED = ("Some were interviewed at {wave} but have no value for this indicator (item not answered, or "
              "outside its age band).")
ELSEWHERE = "Attrition is reported for the whole programme, in the attrition table."
PAIRS_PROTECTED = ("Paired on the people with this indicator in both waves; how many is withheld to protect a "
                   "small count.")


def change_row(cell: Cell, fit, min_cell: int) -> dict:
    """``fit``: the change fit of this breakdown (n0, n1, mean0, mean1, se, …)."""
    row = cell.base("change")
    nb, nf = int(fit.n0), int(fit.n1)
    if min(nb, nf) < min_cell:
        shows = [cell.shows(PARTICIPANT, "baseline"), cell.shows(PARTICIPANT, cell.wave)]
        words = [sentences.cell_size(n, s, min_cell) for n, s in zip((nb, nf), shows, strict=True)]
        reason = (f"{words[0]} respondents at baseline and {words[1]} respondents at {cell.wave}; each wave "
                  f"needs at least {min_cell}.")
        sizes = [n if s else 0 for n, s in zip((nb, nf), shows, strict=True)]
        return not_estimated(cell, row, reason, small_cell_mde(cell, "change", sizes, min_cell), min_cell)
    if cell.hidden(PARTICIPANT):
        return suppressed(cell, row)
    row["n"] = nb + nf
    estimate = (fit.mean1 - fit.mean0) * cell.scale
    why = untested(single_group=cell.single_group, n_groups=fit.n_groups, se=fit.se)
    if why:
        described(row, why, estimate, int(fit.n_group_clusters))
        row["sentence"] = sentences.described_change_sentence(cell.name, cell.kind, estimate, cell.wave, cell.who,
                                                              why.reason)
        return row
    tested(row, fit, cell.scale, int(fit.n_group_clusters))
    row["note"] = (f"{nb} respondents at baseline and {nf} at {cell.wave}; "
                   f"{cr2_clause(int(fit.n_group_clusters), fit.df)}.")
    return worded(row, partial(sentences.change_sentence, cell.name, cell.kind, row["estimate"], row["ci_low"],
                               row["ci_high"], cell.wave, cell.who))


def pair_count_shown(pairs: int, nb: int, nf: int, min_cell: int, attrition: dict | None = None) -> int | None:
    """The pair count, unless a published total minus it is a small number of people:
    the wave cells (people seen once), or — with the arm's published attrition — the
    people interviewed again without a value. Those number between
    ``nb − pairs − lost`` and ``retained − pairs``; when every baseline respondent of the
    arm had the indicator (``nb`` = the arm's baseline) the two meet and pin them."""
    small = lambda n: 0 < n < min_cell  # noqa: E731
    if small(abs(nb - pairs)) or small(abs(nf - pairs)):
        return None
    if attrition is not None:
        retained, baseline = attrition["arm_retained"], attrition["arm_baseline"]
        lost = baseline - retained
        low, high = max(0, nb - pairs - lost), retained - pairs
        if high - low < min_cell and small(high):
            return None
    return pairs


def pairing_sentence(n: int | None) -> str:
    if n is None:
        return ("Paired on the people with this indicator in both waves; how many is withheld, since the published "
                "wave totals would then show how few were seen only once.")
    return f"Paired on {sentences.count(n, 'person', 'people')} with this indicator in both waves."


def pairs_withheld(note: str, sentence: str, people: str, wave: str, n: int) -> tuple[str, str]:
    """A paired row's note and sentence once ``disclosure.impact.protect`` has hidden its
    ``n`` pairs: neither counts them any more."""
    return (note.replace(pairing_sentence(n), PAIRS_PROTECTED),
            sentence.replace(sentences.among(people, wave, n), sentences.among(people, wave, True)))


def paired_row(cell: Cell, fit, waves, attrition: dict | None, min_cell: int) -> dict:
    """``fit``: the paired fit (n0 pairs, mean0 mean change, …); ``waves``: the change fit
    (the published wave cells); ``attrition``: the attrition row of the programme total
    for this indicator (None for a breakdown)."""
    row = cell.base("paired_change")
    pairs = int(fit.n0)
    if pairs < min_cell:
        reason = (f"{sentences.count(pairs, 'person', 'people', min_cell=min_cell)} with this indicator in "
                  f"both waves (fewer than {min_cell}).")
        return not_estimated(cell, row, reason, small_cell_mde(cell, "paired", [0], min_cell), min_cell)
    if cell.hidden(PARTICIPANT):
        return suppressed(cell, row)
    if cell.paired_blocked:
        return suppressed(cell, row, cell.paired_blocked)
    row["n"] = shown_pairs = pair_count_shown(pairs, int(waves.n0), int(waves.n1), min_cell, attrition)
    note = [pairing_sentence(shown_pairs)]
    if attrition is not None:
        note.append(attrition["lost_sentence"])
        if attrition["retained_raw"] > pairs:
            note.append(UNANSWERED.format(wave=cell.wave))
        if attrition["n_lost_raw"]:
            note.append(attrition["note"])
    else:
        note.append(ELSEWHERE)
    estimate = fit.mean0 * cell.scale
    people = shown_pairs if shown_pairs is not None else True
    why = untested(single_group=cell.single_group, n_groups=fit.n_groups, se=fit.se)
    if why:
        described(row, why, estimate, int(fit.n_group_clusters))
        row["note"] = " ".join([why.note, *note])
        row["sentence"] = sentences.described_change_sentence(cell.name, cell.kind, estimate, cell.wave, cell.who,
                                                              why.reason, n_pairs=people)
        return row
    tested(row, fit, cell.scale, int(fit.n_group_clusters))
    row["note"] = " ".join([*note, f"{sentences.capital(cr2_clause(int(fit.n_group_clusters), fit.df))}."])
    return worded(row, partial(sentences.change_sentence, cell.name, cell.kind, row["estimate"], row["ci_low"],
                               row["ci_high"], cell.wave, cell.who, n_pairs=people))

