"""Claims study: how often a report claims a change on programmes with no effect, and
whether it finds a real one.

Each replicate is a simulated programme (``pipelines.sample.study``): ``--groups``
older people's groups of about 20 members whose answers are made alike by group
shocks (facilitator and venue at both waves, a season at follow-up), a comparison
arm of 40 individuals, baseline and a follow-up a year later. Its files go through
the pipeline's own stages in process — ingest, validate, indicators, impact — and
the report's claims are decided by ``pipelines.impact.claims`` exactly as a report
decides them (default configuration: every survey indicator primary). Beyond the
findings of its claim family, everything else the report could state as one is
written by the report's own code and read back: the headline's claim sentences, the
dose-response chart's title and the attrition sentences (``stated``).

- **Null**: no programme effect. A report that claims any change is a false claim;
  so is a dose title naming a link, or an attrition sentence naming a difference,
  since the simulation loses people at random.
- **Planted**: the demo's planted effects. Power: how often each planted outcome is
  claimed; coverage: how often its primary interval contains the planted effect.

    python -m bench.claims                      # 20 null + 20 planted, as in docs/impact.md
    python -m bench.claims --primary P.who5_mean,4.5,3.1 --effect-scale 2   # declared outcomes
    python -m bench.claims --null 4 --planted 2 # a smoke run

Writes ``bench/out/claims.md`` and ``claims.csv`` (``claims-declared.*`` with ``--primary``). Seeds 1000+ are the study's; the
slow tests use other seeds (held out).
"""

from __future__ import annotations

import argparse
import html
import json
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

OUT = Path(__file__).parent / "out"
FIRST_SEED = 1000


# What a report's text or chart titles say when they state a finding, in its English
# wording: the headline and change-chart titles (a surviving estimate), a dose title
# naming a link between attendance and change, an attrition sentence naming a difference.
STATED = ("holds after correction", "a finding after correction", "attended more", "differed at baseline",
          " rose by ", " fell by ")


def stated(texts: list[str]) -> list[str]:
    """The texts of ``texts`` that state a finding (``STATED``)."""
    return [text for text in texts if any(marker in text for marker in STATED)]


def published_texts(report: Path) -> list[str]:
    """Every text of a built report (``report.html``: headline, tables, notes, captions)
    and the title of every chart in its manifest, for ``stated``."""
    page = report.read_text(encoding="utf-8")
    texts = [html.unescape(t).strip() for t in re.findall(r">([^<]+)<", page)]
    manifest = json.loads((report.parent / "charts" / "manifest.json").read_text(encoding="utf-8"))
    return [t for t in texts if t] + [chart["title"] for chart in manifest]


def report_for(raw: Path, config, min_cell: int = 5):
    """What one data root's report reads, through the real stages and the report's own
    queries, with its claim families decided (``scope.claimed``); and every impact
    estimate written (breakdowns too, which the report's frames leave out)."""
    from pipelines.impact.estimates import build_impact
    from pipelines.impact.tables import write_impact
    from pipelines.indicators.build import build_indicators
    from pipelines.ingest.stage import stage_all
    from pipelines.publish.queries import read_period
    from pipelines.publish.scope import claimed
    from pipelines.validate.warehouse_tables import build_tables

    con = duckdb.connect()
    try:
        stage_all(con, raw)
        build_tables(con)
        build_indicators(con, min_cell)
        tables = build_impact(con, min_cell, config)
        write_impact(con, tables, min_cell)
        return claimed(read_period(con, min_cell=min_cell), config), tables.estimates
    finally:
        con.close()


def texts_for(data, programmes: list[str], charts: Path) -> dict[str, list[str]]:
    """The report's sentences and titles that could state a finding, in English, written
    by the report's code: headline claim lines, dose-response chart titles, attrition."""
    from pipelines.charts.programme import dose_charts
    from pipelines.publish.i18n import Translator
    from pipelines.report.context import claim_lines
    from pipelines.report.context_impact import attrition_differences

    tr = Translator("en")
    charts.mkdir(parents=True, exist_ok=True)
    return {"headline": claim_lines(tr, data.impact, programmes),
            "dose": [chart.title for chart in dose_charts(data.dose, charts, tr)],
            "attrition": attrition_differences(tr, data.attrition_differences)}


def replicate(seed: int, *, effect_scale: float, groups: int, primary: tuple[str, ...] | None = None) -> dict:
    from pipelines.impact.claims import PRIMARY, findings
    from pipelines.sample.study import STUDY_PROGRAMME, generate_study, planted_truth
    from pipelines.settings import ClaimsConfig

    with tempfile.TemporaryDirectory() as tmp:
        generate_study(Path(tmp) / "raw", seed=seed, groups=groups, effect_scale=effect_scale)
        data, estimates = report_for(Path(tmp) / "raw", ClaimsConfig(primary_outcomes=primary))
        texts = texts_for(data, [STUDY_PROGRAMME], Path(tmp) / "charts")
    claimed = data.impact
    found = findings(claimed)
    truth = planted_truth(seed=seed, groups=groups, effect_scale=effect_scale)
    tests = claimed[claimed["role"] == PRIMARY]
    said = {part: len(stated(lines)) for part, lines in texts.items()}
    row = {"seed": seed, "effect_scale": effect_scale, "groups": groups, "family_size": int(tests["p_value"].notna().sum()),
           "claims": len(found), "claimed": ", ".join(found["indicator"]),
           "dose_titles_stating": said["dose"], "attrition_sentences_stating": said["attrition"],
           "claims_anything": bool(len(found) or any(said.values())),
           "nominal_p_below_05": int((estimates["p_value"] < 0.05).sum()),
           "attrition_nominal_p_below_05": int((data.attrition_differences["p_value"] < 0.05).sum())}
    for code, value in truth.items():
        test = tests[tests["indicator"] == code]
        tested = not test.empty and pd.notna(test["p_value"].iloc[0])
        row[f"{code}:claimed"] = bool(tested and code in set(found["indicator"]))
        row[f"{code}:covers"] = bool(tested and test["ci_low"].iloc[0] <= value <= test["ci_high"].iloc[0])
        row[f"{code}:tested"] = tested
    return row


def summary(rows: pd.DataFrame) -> str:
    lines = ["| study | programmes | groups each | reports claiming any change | claims in all | "
             "reports with a dose title stating a link | reports with an attrition sentence stating a difference | "
             "reports stating anything | estimates with nominal p < 0.05 (mean per programme) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for (scale, groups), part in rows.groupby(["effect_scale", "groups"]):
        label = "null (no effect)" if scale == 0 else f"planted (effect × {scale:g})"
        lines.append(f"| {label} | {len(part)} | {groups} | {int((part['claims'] > 0).sum())} | "
                     f"{int(part['claims'].sum())} | {int((part['dose_titles_stating'] > 0).sum())} | "
                     f"{int((part['attrition_sentences_stating'] > 0).sum())} | "
                     f"{int(part['claims_anything'].sum())} | {part['nominal_p_below_05'].mean():.1f} |")
    planted = rows[rows["effect_scale"] > 0]
    if not planted.empty:
        lines += ["", "| planted outcome | tested | claimed (power) | interval contains the planted effect |",
                  "|---|---|---|---|"]
        codes = sorted({c.split(":")[0] for c in planted.columns if c.endswith(":claimed")})
        for code in codes:
            tested = planted[f"{code}:tested"]
            lines.append(f"| {code} | {int(tested.sum())} of {len(planted)} | "
                         f"{int(planted[f'{code}:claimed'].sum())} of {int(tested.sum())} | "
                         f"{int(planted[f'{code}:covers'].sum())} of {int(tested.sum())} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--null", type=int, default=20, help="programmes with no effect")
    parser.add_argument("--planted", type=int, default=20, help="programmes with the planted effects")
    parser.add_argument("--groups", type=int, default=6, help="groups per programme")
    parser.add_argument("--effect-scale", type=float, default=1.0, help="planted effects × this (1 = the demo's)")
    parser.add_argument("--primary", default="", help="declared primary outcomes, comma-separated "
                        "(default: every survey indicator)")
    args = parser.parse_args(argv)
    primary = tuple(c.strip() for c in args.primary.split(",") if c.strip()) or None
    started = time.perf_counter()
    rows = []
    for k in range(args.null + args.planted):
        scale = 0.0 if k < args.null else args.effect_scale
        rows.append(replicate(FIRST_SEED + k, effect_scale=scale, groups=args.groups, primary=primary))
        print(f"  programme {k + 1}/{args.null + args.planted} (effect × {scale:g}): "
              f"{rows[-1]['claims']} claims {rows[-1]['claimed']}; dose titles stating a link "
              f"{rows[-1]['dose_titles_stating']}, attrition sentences stating a difference "
              f"{rows[-1]['attrition_sentences_stating']}", file=sys.stderr)
    frame = pd.DataFrame(rows)
    OUT.mkdir(exist_ok=True)
    name = "claims-declared" if primary else "claims"
    frame.to_csv(OUT / f"{name}.csv", index=False)
    declared = ", ".join(primary) if primary else "every survey indicator"
    text = (f"Primary outcomes: {declared}.\n\n{summary(frame)}\n\n{platform.machine()}, Python {platform.python_version()}, "
            f"{time.perf_counter() - started:.0f} s\n")
    (OUT / f"{name}.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
