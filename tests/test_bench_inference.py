"""The coverage study runs end to end (a smoke run; the full study is `make bench-inference`)."""

import pandas as pd
import pytest

from bench import inference


@pytest.mark.slow
def test_quick_coverage_study_runs_and_covers(tmp_path):
    inference.main(["--quick", "--reps", "400", "--out", str(tmp_path)])
    results = pd.read_csv(tmp_path / "inference.csv")
    assert set(results["design"]) == set(inference.DESIGNS)
    published = results[(results["method"] == inference.PUBLISHED) & ~results["refused"]]
    assert len(published) and (published["coverage"] >= 0.90).all()
    # shares near 0 or 100 % over-cover with few groups (docs/impact.md, "Coverage study")
    central = published[~published["outcome"].isin(["share05", "share95"])]
    assert central["coverage"].between(0.90, 0.99).all()
    naive = results[(results["method"] == "naive") & (results["design"] == "did") & (results["icc"] > 0)]
    assert (naive["coverage"] < 0.93).any()  # today's person-level method, shown up by group effects
    assert "## Summary" in (tmp_path / "inference.md").read_text()
