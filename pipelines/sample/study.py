"""Simulated programmes for studies of the pipeline's claims: known truth, real files.

``generate_study`` writes one programme's ``groups.csv``, survey and attendance
register in canonical form, with ``groups`` older-people's groups of about
``members`` people each, a comparison arm of ``comparison`` individuals, members of
a group made alike by ``GroupShocks`` (facilitator and venue at both waves, a season
at follow-up) and the demo's planted effects multiplied by ``effect_scale`` (0: the
programme changes nothing, so any change the report claims is a false one). The
files go through the whole pipeline like any other data root; ``bench/claims.py``
and the slow tests use them to count claims on programmes whose truth is known.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np

from pipelines.sample.formats import CANONICAL, write_csv
from pipelines.sample.generator import GROUP_COLUMNS, GROUPS_FILE
from pipelines.sample.people import EFFECT_BY_ITEM, SURVEY_COLUMNS, GroupShocks, comparison_roster, survey_rows
from pipelines.sample.registers import ATTENDANCE_COLUMNS, register
from pipelines.sample.world import BRC, Programme

STUDY_PROGRAMME = "STUDY"
# A group's shift per item: ±0.15 moves about one member in seven a step on an
# answer scale and the WHO-5 raw sum by about 1.4 points, an intra-class
# correlation of roughly 0.05-0.1, as groups in the field show.
DEFAULT_SHOCK_SD = 0.15


def study_programme(groups: int, members: int, comparison: int) -> Programme:
    """A Belarusian-Red-Cross-like programme of ``groups`` older people's groups."""
    template = BRC.groups[0]
    made = tuple(
        replace(template, group_id=f"ST-G{k + 1:02d}", group_name=f"Study group {k + 1}",
                start_date=date(2020, 1, 6), end_date=None, members=members,
                weekdays=(k % 5,))
        for k in range(groups)
    )
    return replace(BRC, programme_id=STUDY_PROGRAMME, folder="study", groups=made, comparison=comparison)


def generate_study(out_dir: Path, *, seed: int, groups: int = 6, members: int = 20, comparison: int = 40,
                   effect_scale: float = 0.0, shock_sd: float = DEFAULT_SHOCK_SD) -> list[Path]:
    """Write a study programme's three files under ``out_dir``; return their paths."""
    out_dir = Path(out_dir)
    programme = study_programme(groups, members, comparison)
    rng = np.random.default_rng(seed)
    members_, attendance = register(rng, programme, 1.0)
    people = members_ + comparison_roster(rng, programme, 1.0)
    shocks = GroupShocks(shock_sd, seed + 1) if shock_sd > 0 else None
    survey = survey_rows(rng, programme, people, effect_scale=effect_scale, shocks=shocks)
    return [
        write_csv(out_dir / GROUPS_FILE, GROUP_COLUMNS, _group_rows(programme), CANONICAL),
        write_csv(out_dir / "survey.csv", SURVEY_COLUMNS, survey, CANONICAL),
        write_csv(out_dir / "attendance.csv", ATTENDANCE_COLUMNS, attendance, CANONICAL),
    ]


def _group_rows(programme: Programme) -> list[dict[str, object]]:
    return [
        {"group_id": g.group_id, "programme_id": programme.programme_id, "group_name": g.group_name,
         "country": programme.country, "region": g.region, "settlement_type": g.settlement_type,
         "target_population": g.target_population, "start_date": g.start_date, "end_date": g.end_date,
         "facilitation": g.facilitation}
        for g in programme.groups
    ]


__all__ = ["DEFAULT_SHOCK_SD", "PLANTED_OUTCOMES", "STUDY_PROGRAMME", "generate_study", "planted_truth", "study_programme"]


def planted_truth(*, seed: int, groups: int = 6, members: int = 20, comparison: int = 40,
                  effect_scale: float = 0.0) -> dict[str, float]:
    """The difference in differences each planted outcome should show, in its unit.

    A participant's planted change is the effect at full attendance times their
    attendance rate (``people.PlantedEffect``); the comparison arm gets none. So the
    expected DiD is the effect times the mean attendance rate of the participants
    still there at follow-up — the same draws ``generate_study`` makes for this seed
    (the register is drawn first from the same stream). Approximate at the edges of a
    scale, where a clipped score or a top answer cannot move further.
    """
    rng = np.random.default_rng(seed)
    people, _ = register(rng, study_programme(groups, members, comparison), 1.0)
    dose = float(np.mean([p.attendance for p in people if p.stays])) * effect_scale
    return {code: factor * EFFECT_BY_ITEM[item].change_at_full_attendance * dose
            for item, (code, factor) in PLANTED_OUTCOMES.items()}


# The indicator each planted effect shows in, and the factor to its unit: shares in
# percentage points (× 100 the effect on the share), WHO-5 as a percentage score
# (× 4 the raw sum), UCLA-3 in its own points.
PLANTED_OUTCOMES = {
    "volunteer_freq": ("2.1", 100.0), "exercise_freq": ("3.1", 100.0), "meet_socially_freq": ("4.5", 100.0),
    "who5_raw": ("P.who5_mean", 4.0), "ucla_sum": ("P.ucla_mean", 1.0),
}
