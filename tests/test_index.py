"""`compute_index`: AAI domain scores and the overall index from indicator values."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines import catalogue
from pipelines.indicators.index import compute_index

# aai.md: weight inside the domain, and the domain weights in the overall index
AAI_MD_WEIGHTS = {
    "1.1": 25, "1.2": 25, "1.3": 25, "1.4": 25,
    "2.1": 25, "2.2": 25, "2.3": 30, "2.4": 20,
    "3.1": 10, "3.2": 20, "3.3": 20, "3.4": 10, "3.5": 10, "3.6": 10, "3.7": 10, "3.8": 10,
    "4.1": 33, "4.2": 23, "4.3": 17, "4.4": 7, "4.5": 13, "4.6": 7,
    "D1": 35, "D2": 35, "D3": 10, "D4": 20,
}

# a full 22-indicator vector and its scores worked out by hand:
# D1 = (60 + 40 + 20 + 8) / 4                                         = 32
# D2 = (25·30 + 25·20 + 30·10 + 20·50) / 100 = 2550 / 100             = 25.5
# D3 = (10·50 + 20·80 + 20·90 + 10·70 + 10·60 + 10·95 + 10·70 + 10·10) / 100 = 69.5
# D4 = (33·60 + 23·70 + 17·50 + 7·40 + 13·45 + 7·80) / 100 = 5865 / 100 = 58.65
# AAI = (35·32 + 35·25.5 + 10·69.5 + 20·58.65) / 100 = 3880.5 / 100  = 38.805
FULL = {
    "1.1": 60, "1.2": 40, "1.3": 20, "1.4": 8,
    "2.1": 30, "2.2": 20, "2.3": 10, "2.4": 50,
    "3.1": 50, "3.2": 80, "3.3": 90, "3.4": 70, "3.5": 60, "3.6": 95, "3.7": 70, "3.8": 10,
    "4.1": 60, "4.2": 70, "4.3": 50, "4.4": 40, "4.5": 45, "4.6": 80,
}
HAND = {"D1": 32.0, "D2": 25.5, "D3": 69.5, "D4": 58.65, "AAI": 38.805}


def frame(values: dict[str, float], unit: str = "Region A", sex: str = "all") -> pd.DataFrame:
    return pd.DataFrame({"unit": unit, "sex": sex, "indicator": list(values), "value": list(values.values())})


def scores(result: pd.DataFrame, unit: str = "Region A", sex: str = "all") -> dict[str, tuple[float, int]]:
    rows = result[(result["unit"] == unit) & (result["sex"] == sex)]
    return {r.item: (r.value, r.indicators_used) for r in rows.itertuples()}


def test_catalogue_weights_are_those_of_aai_md():
    weights = catalogue.aai_weights()
    assert dict(zip(weights["code"], weights["weight"], strict=True)) == AAI_MD_WEIGHTS


def test_full_vector_equals_hand_computed_means():
    result = compute_index(frame(FULL))
    assert list(result.columns) == ["unit", "sex", "item", "value", "indicators_used"]
    got = scores(result)
    assert set(got) == set(HAND)
    for item, expected in HAND.items():
        assert got[item][0] == pytest.approx(expected, abs=0.01)
    assert got["AAI"][1] == 22
    assert [got[d][1] for d in ["D1", "D2", "D3", "D4"]] == [4, 4, 8, 6]


def test_partial_domain_rescales_its_weights():
    values = {k: v for k, v in FULL.items() if k not in {"4.1", "4.2"}}
    got = scores(compute_index(frame(values)))
    d4 = (17 * 50 + 7 * 40 + 13 * 45 + 7 * 80) / (17 + 7 + 13 + 7)  # 2275 / 44
    assert got["D4"] == (pytest.approx(d4), 4)
    assert got["AAI"][0] == pytest.approx((35 * 32 + 35 * 25.5 + 10 * 69.5 + 20 * d4) / 100)
    assert got["AAI"][1] == 20


def test_aai_absent_when_a_domain_is_missing():
    values = {k: v for k, v in FULL.items() if not k.startswith("1.")}
    got = scores(compute_index(frame(values)))
    assert set(got) == {"D2", "D3", "D4"}


def test_missing_values_count_as_absent():
    values = dict(FULL) | {"2.3": float("nan")}
    got = scores(compute_index(frame(values)))
    assert got["D2"] == (pytest.approx((25 * 30 + 25 * 20 + 20 * 50) / 70), 3)


def test_units_and_sexes_are_scored_separately():
    both = pd.concat([
        frame(FULL),
        frame({"4.3": 20, "4.5": 80}, sex="female"),
        frame({"1.1": 10}, unit="Region B"),
    ])
    result = compute_index(both)
    assert scores(result)["AAI"][0] == pytest.approx(38.805, abs=0.01)
    assert scores(result, sex="female") == {"D4": (pytest.approx((17 * 20 + 13 * 80) / 30), 2)}
    assert scores(result, unit="Region B") == {"D1": (pytest.approx(10), 1)}


def test_codes_read_as_numbers_still_match():
    df = frame(FULL)
    df["indicator"] = df["indicator"].astype(float)  # what a spreadsheet export may give
    assert scores(compute_index(df))["AAI"][0] == pytest.approx(38.805, abs=0.01)


@pytest.mark.parametrize(
    ("df", "message"),
    [
        (frame({"5.1": 10}), "unknown AAI indicator"),
        (frame({"P.lonely": 10}), "unknown AAI indicator"),
        (pd.concat([frame({"1.1": 10}), frame({"1.1": 20})]), "more than one value"),
        (frame({"1.1": 10}).drop(columns="sex"), "missing \\['sex'\\]"),
        (frame({"1.1": 145}), "0-100 scale"),
        (frame({"2.1": -3}), "0-100 scale"),
    ],
)
def test_bad_input_is_refused(df, message):
    with pytest.raises(ValueError, match=message):
        compute_index(df)
