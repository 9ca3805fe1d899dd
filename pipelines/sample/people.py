"""Survey respondents at baseline and one year later, with a planted programme effect.

Each respondent draws answers from the profile of the people a group serves (older
people, women of working age, people with disabilities, young families), so the AAI
age bands exclude some respondents exactly as they would in the field. Follow-up
answers repeat baseline ones with some test-retest churn; on top of that, participants
improve on the outcomes in ``EFFECTS`` in proportion to the share of sessions they
attended. The comparison arm gets the churn only, so a difference-in-differences
estimate should recover roughly ``change_at_full_attendance × mean attendance``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np

from pipelines.sample.world import MIN_MEMBERS, Programme

WAVES = ("baseline", "followup1")

DESIGN_COLUMNS = (
    "participant_id", "programme_id", "group_id", "arm", "wave", "interview_date",
    "sex", "birth_year", "disability", "consent",
)
ITEM_COLUMNS = (
    "employment_status", "volunteer_freq", "care_children_freq",
    "care_older_disabled_freq", "political_activity_12m", "exercise_freq",
    "unmet_medical_need_12m", "unmet_dental_need_12m", "household_type",
    "make_ends_meet", "deprivation_count", "safe_after_dark", "training_4w",
    "who5_1", "who5_2", "who5_3", "who5_4", "who5_5", "internet_freq",
    "meet_socially_freq", "education_isced", "ucla_1", "ucla_2", "ucla_3",
    "self_rated_health",
)
SURVEY_COLUMNS = DESIGN_COLUMNS + ITEM_COLUMNS


@dataclass(frozen=True)
class PlantedEffect:
    """A programme effect planted among participants, at 100 % attendance.

    For a frequency item, ``change_at_full_attendance`` is the rise in the share of
    participants whose answer is in ``success`` (the AAI indicator's threshold):
    a participant below it moves up to ``moves_to`` with the probability that yields
    that rise. For a score it is the shift of the person's latent score, in the
    score's own points. Either way it is scaled by the person's attendance rate.
    """

    item: str
    change_at_full_attendance: float
    success: tuple[str, ...] = ()
    moves_to: str = ""


EFFECTS = (
    PlantedEffect("exercise_freq", 0.20, ("daily",), "daily"),
    PlantedEffect("meet_socially_freq", 0.25, ("daily", "weekly"), "weekly"),
    PlantedEffect("volunteer_freq", 0.10, ("daily", "weekly"), "weekly"),
    PlantedEffect("who5_raw", 3.0),  # WHO-5 raw sum, 0-25 (= +12 percentage points)
    PlantedEffect("ucla_sum", -1.0),  # UCLA 3-item sum, 3-9
)
EFFECT_BY_ITEM = {effect.item: effect for effect in EFFECTS}

# Share of answers redrawn at follow-up in both arms: people answer a little
# differently a year later even when nothing changed.
RETEST_CHURN = 0.15
COMPARISON_ATTRITION = 0.10
REFUSAL_RATE = 0.02
REFUSAL_RATE_SENSITIVE = {
    "make_ends_meet": 0.06, "deprivation_count": 0.06, "political_activity_12m": 0.04,
    "ucla_1": 0.03, "ucla_2": 0.03, "ucla_3": 0.03,
}

# The order in which the answer shares below are given. A test checks each against
# the vocabulary, so a code added or renamed there cannot silently skew the shares.
ANSWER_CODES = {
    "frequency": ("daily", "weekly", "monthly", "less_often", "never"),
    "employment_status": ("employed", "self_employed", "unemployed", "retired", "homemaker", "other"),
    "household_type": ("alone", "couple", "with_children", "multigeneration", "institution", "other"),
    "make_ends_meet": ("great_difficulty", "difficulty", "some_difficulty", "fairly_easily", "easily", "very_easily"),
    "safety": ("very_safe", "safe", "unsafe", "very_unsafe"),
    "self_rated_health": ("very_good", "good", "fair", "bad", "very_bad"),
}
FREQUENCY_ITEMS = (
    "volunteer_freq", "care_children_freq", "care_older_disabled_freq",
    "exercise_freq", "internet_freq", "meet_socially_freq",
)
YES_NO_ITEMS = (
    "political_activity_12m", "unmet_medical_need_12m", "unmet_dental_need_12m",
    "training_4w",
)
# Employment by age at interview: (ages up to, P(employed, self_employed,
# unemployed, retired, homemaker, other)), following retirement at about 58-63.
EMPLOYMENT_BY_AGE = (
    (54, (0.40, 0.07, 0.25, 0.03, 0.20, 0.05)),
    (59, (0.40, 0.05, 0.08, 0.35, 0.08, 0.04)),
    (64, (0.22, 0.04, 0.03, 0.65, 0.04, 0.02)),
    (69, (0.12, 0.03, 0.01, 0.80, 0.02, 0.02)),
    (74, (0.05, 0.02, 0.00, 0.91, 0.01, 0.01)),
    (200, (0.01, 0.01, 0.00, 0.96, 0.01, 0.01)),
)


@dataclass(frozen=True)
class Profile:
    """Who a group serves: age (triangular low, mode, high), sex, and answer shares."""

    age: tuple[float, float, float]
    female: float
    disability: float
    categorical: dict[str, tuple[float, ...]]
    yes: dict[str, float]
    deprivation_mean: float
    who5_mean: float
    ucla_mean: float
    isced: tuple[float, ...] = field(
        default=(0.01, 0.04, 0.15, 0.38, 0.17, 0.10, 0.11, 0.03, 0.01))

    def with_answers(self, **categorical: tuple[float, ...]) -> dict[str, tuple[float, ...]]:
        return {**self.categorical, **categorical}


_OLDER = Profile(
    age=(55, 66, 87), female=0.75, disability=0.2,
    categorical={
        "volunteer_freq": (0.02, 0.08, 0.10, 0.15, 0.65),
        "care_children_freq": (0.10, 0.20, 0.20, 0.20, 0.30),
        "care_older_disabled_freq": (0.08, 0.12, 0.10, 0.15, 0.55),
        "exercise_freq": (0.15, 0.20, 0.10, 0.20, 0.35),
        "internet_freq": (0.35, 0.15, 0.05, 0.05, 0.40),
        "meet_socially_freq": (0.12, 0.33, 0.27, 0.17, 0.11),
        "household_type": (0.35, 0.35, 0.10, 0.17, 0.01, 0.02),
        "make_ends_meet": (0.15, 0.30, 0.30, 0.15, 0.08, 0.02),
        "safe_after_dark": (0.25, 0.50, 0.20, 0.05),
        "self_rated_health": (0.03, 0.22, 0.50, 0.20, 0.05),
    },
    yes={"political_activity_12m": 0.08, "unmet_medical_need_12m": 0.25,
         "unmet_dental_need_12m": 0.30, "training_4w": 0.05},
    deprivation_mean=2.2, who5_mean=13.0, ucla_mean=5.2,
)
_WORKING_AGE = {
    "care_children_freq": (0.75, 0.10, 0.05, 0.03, 0.07),
    "internet_freq": (0.75, 0.15, 0.03, 0.02, 0.05),
    "household_type": (0.05, 0.05, 0.70, 0.15, 0.00, 0.05),
}
PROFILES = {
    "older": _OLDER,
    "women": replace(
        _OLDER, age=(24, 38, 61), female=1.0, disability=0.1,
        categorical=_OLDER.with_answers(
            **_WORKING_AGE,
            volunteer_freq=(0.01, 0.04, 0.08, 0.12, 0.75),
            exercise_freq=(0.10, 0.20, 0.15, 0.20, 0.35),
            meet_socially_freq=(0.05, 0.20, 0.30, 0.30, 0.15),
            make_ends_meet=(0.30, 0.35, 0.20, 0.10, 0.04, 0.01),
            self_rated_health=(0.10, 0.40, 0.35, 0.12, 0.03),
        ),
        yes={**_OLDER.yes, "training_4w": 0.12},
        deprivation_mean=3.0, who5_mean=10.0, ucla_mean=6.3,
    ),
    "families": replace(
        _OLDER, age=(25, 33, 49), female=0.85, disability=0.15,
        categorical=_OLDER.with_answers(**_WORKING_AGE),
        yes={**_OLDER.yes, "training_4w": 0.10}, ucla_mean=5.6,
    ),
    "disability": replace(
        _OLDER, age=(35, 58, 83), female=0.55, disability=0.9,
        categorical=_OLDER.with_answers(
            exercise_freq=(0.08, 0.12, 0.10, 0.20, 0.50),
            meet_socially_freq=(0.05, 0.25, 0.30, 0.25, 0.15),
            self_rated_health=(0.01, 0.10, 0.45, 0.34, 0.10),
        ),
        who5_mean=11.0, ucla_mean=6.0,
    ),
    "mixed": replace(_OLDER, age=(30, 62, 86), female=0.6, disability=0.3),
}


@dataclass(frozen=True)
class Person:
    """A respondent before any answer is drawn. ``attendance`` is 0 for comparison."""

    participant_id: str
    group_id: str | None
    profile: str
    attendance: float
    stays: bool


def comparison_roster(rng: np.random.Generator, programme: Programme, scale: float) -> list[Person]:
    """Comparison respondents: same programme, no group, ~10 % lost at follow-up."""
    n = max(MIN_MEMBERS, round(programme.comparison * scale))
    stays = rng.random(n) >= COMPARISON_ATTRITION
    return [
        Person(f"{programme.comparison_prefix}{i + 1:03d}", None, programme.comparison_profile, 0.0, bool(stays[i]))
        for i in range(n)
    ]


def _choice(rng: np.random.Generator, options: tuple, p: tuple[float, ...], n: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=n, p=np.asarray(p) / sum(p))]


def _interview_day(day: date) -> date:
    """Nobody is interviewed on a Sunday."""
    return day + timedelta(days=1) if day.weekday() == 6 else day


def _draw_answers(rng: np.random.Generator, profile: Profile, n: int) -> dict[str, np.ndarray]:
    """Answers that do not depend on age, for n people of one profile."""
    answers = {item: _choice(rng, _codes_for(item), p, n) for item, p in profile.categorical.items()}
    for item, share in profile.yes.items():
        answers[item] = np.where(rng.random(n) < share, "yes", "no").astype(object)
    answers["deprivation_count"] = np.minimum(rng.poisson(profile.deprivation_mean, n), 9)
    return answers


def _codes_for(item: str) -> tuple[str, ...]:
    scale = "frequency" if item in FREQUENCY_ITEMS else "safety" if item == "safe_after_dark" else item
    return ANSWER_CODES[scale]


def _employment(rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
    options = ANSWER_CODES["employment_status"]
    out = np.empty(len(ages), dtype=object)
    low = -1
    for high, p in EMPLOYMENT_BY_AGE:
        band = (ages > low) & (ages <= high)
        out[band] = _choice(rng, options, p, int(band.sum()))
        low = high
    return out


def _items(rng: np.random.Generator, latent: np.ndarray, k: int, low: int, high: int, noise: float) -> list[np.ndarray]:
    """k integer items in low..high whose sum tracks the latent score."""
    return [np.clip(np.rint(latent / k + rng.normal(0, noise, len(latent))), low, high).astype(int)
            for _ in range(k)]


def _apply_effect(rng: np.random.Generator, values: np.ndarray, dose: np.ndarray, effect: PlantedEffect) -> np.ndarray:
    """Move participants below the threshold up, so their share rises by effect × dose.

    The move probability is divided by the share still below the threshold, so the
    rise is the same whether the programme starts from a low or a high share.
    """
    below = ~np.isin(values, effect.success)
    share_below = below[dose > 0].mean() if (dose > 0).any() else 0.0
    if share_below == 0:
        return values
    p_move = np.clip(effect.change_at_full_attendance * dose / share_below, 0, 1)
    moved = below & (rng.random(len(values)) < p_move)
    values = values.copy()
    values[moved] = effect.moves_to
    return values


@dataclass(frozen=True)
class GroupShocks:
    """What a group shares: a facilitator and a venue (a lasting shift of its members'
    answers) and a season (a shift at follow-up only, a bad winter).

    Each shift is drawn per group and item from N(0, ``sd``): on an ordered answer a
    member moves one step in the shift's direction with probability |shift| (at most
    0.9); a WHO-5 raw sum moves by 9 × shift points, a UCLA-3 sum by 3 × shift. Both
    have mean zero, so they change no expected value: they make members of a group
    alike, which is what the impact stage's intervals must survive. The shocks have
    their own random stream, so the demo's files do not change when they are off.
    """

    sd: float
    seed: int

    def draws(self, groups: list[str]) -> tuple[dict, dict, np.random.Generator]:
        rng = np.random.default_rng(self.seed)
        items = (*SHOCKED_ITEMS, "who5", "ucla")
        lasting = {(g, item): rng.normal(0, self.sd) for g in groups for item in items}
        season = {(g, item): rng.normal(0, self.sd) for g in groups for item in items}
        return lasting, season, rng


# Answers a group's facilitator, venue or season can move: ordered scales, most
# active or favourable answer first, and yes/no items.
SHOCKED_ITEMS = (
    "volunteer_freq", "care_children_freq", "care_older_disabled_freq", "exercise_freq",
    "internet_freq", "meet_socially_freq", "safe_after_dark", "self_rated_health",
    "political_activity_12m", "training_4w",
)
SCORE_SHIFT = {"who5": 9.0, "ucla": 3.0}


def _ordered_codes(item: str) -> tuple[str, ...]:
    return ("yes", "no") if item in YES_NO_ITEMS else _codes_for(item)


def _shift(rng: np.random.Generator, values: np.ndarray, item: str, shift: float) -> np.ndarray:
    """Move each answer one step toward the first code (shift > 0) or the last, with
    probability |shift|; an empty answer stays empty."""
    order = _ordered_codes(item)
    position = {code: k for k, code in enumerate(order)}
    moved = rng.random(len(values)) < min(abs(shift), 0.9)
    step = -1 if shift > 0 else 1
    out = values.copy()
    for i in np.flatnonzero(moved):
        if values[i] in position:
            out[i] = order[min(max(position[values[i]] + step, 0), len(order) - 1)]
    return out


def _apply_shocks(shocks: GroupShocks, groups: np.ndarray, base: dict, follow: dict,
                  scores: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """Shift every group's answers by its lasting shock at both waves and its season
    at follow-up; comparison respondents (no group) are not shifted."""
    names = sorted({g for g in groups if g})
    lasting, season, rng = shocks.draws(names)
    for g in names:
        idx = np.flatnonzero(groups == g)
        for item in SHOCKED_ITEMS:
            base[item][idx] = _shift(rng, base[item][idx], item, lasting[g, item])
            follow[item][idx] = _shift(rng, _shift(rng, follow[item][idx], item, lasting[g, item]),
                                       item, season[g, item])
        for name, (before, after) in scores.items():
            before[idx] += SCORE_SHIFT[name] * lasting[g, name]
            after[idx] += SCORE_SHIFT[name] * (lasting[g, name] + season[g, name])


def _answers(rng: np.random.Generator, people: list[Person], *, effect_scale: float = 1.0,
             shocks: GroupShocks | None = None) -> tuple[dict[str, np.ndarray], ...]:
    """Who each person is, and their answers at baseline and at follow-up.

    ``effect_scale`` multiplies every planted effect (0: a programme that changes
    nothing); ``shocks`` makes members of a group alike (see ``GroupShocks``).
    """
    n = len(people)
    profiles = np.array([p.profile for p in people])
    dose = np.array([p.attendance for p in people]) * effect_scale
    who = {"age": np.zeros(n, dtype=int), "sex": np.empty(n, dtype=object), "disability": np.empty(n, dtype=object)}
    base: dict[str, np.ndarray] = {"education_isced": np.zeros(n, dtype=int)}
    follow: dict[str, np.ndarray] = {}
    who5, ucla = np.zeros(n), np.zeros(n)
    for name in sorted(set(profiles)):
        idx = np.flatnonzero(profiles == name)
        profile, m = PROFILES[name], len(idx)
        who["age"][idx] = np.floor(rng.triangular(*profile.age, m)).astype(int)
        who["sex"][idx] = np.where(rng.random(m) < profile.female, "female", "male")
        who["disability"][idx] = np.where(rng.random(m) < profile.disability, "yes", "no")
        base["education_isced"][idx] = rng.choice(9, size=m, p=profile.isced)
        who5[idx] = np.clip(rng.normal(profile.who5_mean, 4.5, m), 0, 25)
        ucla[idx] = np.clip(rng.normal(profile.ucla_mean, 1.4, m), 3, 9)
        first, again = _draw_answers(rng, profile, m), _draw_answers(rng, profile, m)
        churn = rng.random(m) < RETEST_CHURN
        for item, values in first.items():
            base.setdefault(item, np.empty(n, dtype=object))[idx] = values
            follow.setdefault(item, np.empty(n, dtype=object))[idx] = np.where(churn, again[item], values)
    follow["education_isced"] = base["education_isced"]

    base["employment_status"] = _employment(rng, who["age"])
    churn = (rng.random(n) < RETEST_CHURN) & (base["employment_status"] != "retired")
    follow["employment_status"] = np.where(churn, _employment(rng, who["age"] + 1), base["employment_status"])
    for effect in EFFECTS:
        if effect.success:
            follow[effect.item] = _apply_effect(rng, follow[effect.item], dose, effect)
    who5_later = who5 + rng.normal(0, 2.0, n) + EFFECT_BY_ITEM["who5_raw"].change_at_full_attendance * dose
    ucla_later = ucla + rng.normal(0, 0.6, n) + EFFECT_BY_ITEM["ucla_sum"].change_at_full_attendance * dose
    if shocks is not None:
        groups = np.array([p.group_id or "" for p in people], dtype=object)
        _apply_shocks(shocks, groups, base, follow, {"who5": (who5, who5_later), "ucla": (ucla, ucla_later)})
        who5, ucla = np.clip(who5, 0, 25), np.clip(ucla, 3, 9)
    for answers, w, u in ((base, who5, ucla), (follow, np.clip(who5_later, 0, 25), np.clip(ucla_later, 3, 9))):
        answers.update({f"who5_{k + 1}": v for k, v in enumerate(_items(rng, w, 5, 0, 5, 0.6))})
        answers.update({f"ucla_{k + 1}": v for k, v in enumerate(_items(rng, u, 3, 1, 3, 0.4))})
    return who, base, follow


def survey_rows(rng: np.random.Generator, programme: Programme, people: list[Person], *,
                effect_scale: float = 1.0, shocks: GroupShocks | None = None) -> list[dict[str, object]]:
    """Both waves for every respondent of one programme, as canonical values.

    Rows are ordered as a survey tool exports them: by wave, then interview date.
    """
    n = len(people)
    who, base, follow = _answers(rng, people, effect_scale=effect_scale, shocks=shocks)
    span = (programme.baseline_to - programme.baseline_from).days
    baseline_days = rng.integers(0, span + 1, n)
    followup_days = 364 + rng.integers(-10, 11, n)
    rows = []
    for wave, answers in zip(WAVES, (base, follow)):
        refused = {item: rng.random(n) < REFUSAL_RATE_SENSITIVE.get(item, REFUSAL_RATE) for item in ITEM_COLUMNS}
        for i, person in enumerate(people):
            if wave == "followup1" and not person.stays:
                continue
            day = programme.baseline_from + timedelta(days=int(baseline_days[i]))
            if wave == "followup1":
                day += timedelta(days=int(followup_days[i]))
            row: dict[str, object] = {
                "participant_id": person.participant_id,
                "programme_id": programme.programme_id,
                "group_id": person.group_id,
                "arm": "participant" if person.group_id else "comparison",
                "wave": wave,
                "interview_date": _interview_day(day),
                "sex": who["sex"][i],
                "birth_year": programme.baseline_from.year - int(who["age"][i]),
                "disability": who["disability"][i],
                "consent": "yes",
            }
            for item in ITEM_COLUMNS:
                value = answers[item][i]
                row[item] = None if refused[item][i] else (value.item() if isinstance(value, np.generic) else value)
            rows.append(row)
    return sorted(rows, key=lambda r: (WAVES.index(r["wave"]), r["interview_date"], r["participant_id"]))
