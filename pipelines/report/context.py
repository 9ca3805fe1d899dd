"""The report's figures, formatted: ``gather`` turns a (period's) warehouse into the
template's context — numbers already formatted and sentences already translated, so
the template only lays them out.

Every count of people, sessions and groups is read from ``indicators_public``, where
the indicators stage has applied primary and secondary suppression; a total over
programmes adds up only the visible programmes. Impact notes written by the impact
stage are not printed: they are English and may quote a small cell's size. Every table
may be missing (no follow-up, impact not run): the context then carries a sentence.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from pipelines import catalogue
from pipelines.charts.build import benchmarks, change_frame, change_outcomes
from pipelines.publish.readers import TOP_RULES, latest_wave
from pipelines.impact.claims import findings
from pipelines.report.context_impact import attrition_differences, attrition_rows, dose_rows, impact_tables
from pipelines.publish import domain_sets
from pipelines.publish.figures import summable
from pipelines.publish.i18n import ARM_ORDER, Translator, code_key, declared_name_missing, digits, is_aai_indicator
from pipelines.publish.queries import PeriodData
from pipelines.publish.results import PROGRESS


@cache
def _outputs() -> tuple[str, ...]:
    """Programme outputs: the catalogue's indicators computed from the attendance and
    group registers, in catalogue order."""
    df = catalogue.indicators()
    return tuple(df.loc[df["source"].isin(catalogue.REGISTER_SOURCES), "code"])


def _num(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def gather(data: PeriodData, tr: Translator, *, programmes: list[str], min_cell: int) -> dict:
    """Everything the template shows for ``programmes`` (``data`` narrowed to them),
    formatted for ``tr``'s language."""
    indicators = data.indicators
    outputs = indicators[indicators["indicator"].isin(_outputs())]
    survey = indicators[~indicators["indicator"].isin(_outputs())]
    files, rules = data.files, data.rules
    return {
        "min_cell": min_cell,
        "programmes": programmes,
        "headline": _headline(tr, outputs, survey, data.impact, files, programmes, min_cell),
        "outputs": _output_table(tr, outputs, programmes),
        "domains": _domain_rows(tr, data.domains),
        "indicator_tables": _indicator_tables(tr, survey),
        "changes": _change_rows(tr, survey),
        "impact": impact_tables(tr, data.impact, min_cell) if data.impact_ready else None,
        "attrition": attrition_rows(tr, data.attrition_counts, min_cell),
        "attrition_diff": attrition_differences(tr, data.attrition_differences),
        "dose": dose_rows(tr, data.dose),
        "files": [{"file": r.source_file, "kind": r.kind, "status": tr.status(r.status),
                   "read": tr.number(r.rows_read), "loaded": tr.number(r.rows_loaded),
                   "quarantined": tr.number(r.rows_quarantined)} for r in files.itertuples()],
        # Counts by rule and column only: quarantine values, records and reasons may quote personal data.
        "rules": [{"rule": r.rule, "table": r.table_name, "column": r.column_name or "–",
                   "problems": tr.number(r.problems), "rows": tr.number(r.rows)}
                  for r in rules.head(TOP_RULES).itertuples()],
        "quality_totals": _quality_totals(tr, files, rules),
        "quality_review": review_note(tr, data.review_exclusions),
        "declared": declared_lines(tr, survey),
        # set for a programme's report only: its own claim family decided "on track"
        "results": _result_rows(tr, data.results),
    }


def declared_lines(tr: Translator, survey: pd.DataFrame) -> list[str]:
    """Methodology: each measure the questionnaire's mapping file declares and the report
    shows, with its rule and citation as the organisation gave them, and a note where the
    mapping gives no name in the report's language."""
    lines = []
    for row in catalogue.declared().itertuples():
        if row.code not in set(survey["indicator"]):
            continue
        line = tr("%(name)s: the questionnaire's own measure, declared in %(mapping)s as %(rule)s over its items "
                  "%(items)s, for respondents aged %(population)s. Source: %(citation)s.",
                  name=tr.indicator(row.code), mapping=row.mapping, rule=row.rule_sql,
                  items=", ".join(row.item_columns.split("|")), population=tr("any age") if row.population == "all" else row.population,
                  citation=row.citation)
        if declared_name_missing(row.code, tr.lang):
            line += " " + tr("The mapping file gives no name in this language, so the English one is shown.")
        lines.append(line)
    return lines


# -- national figures ---------------------------------------------------------------------
def benchmark_sources(tr: Translator) -> list[str]:
    """"Sources of the national figures": one line per published figure the domain chart
    draws (``charts.build.benchmarks``, the same rows), naming its edition, value and source.
    The free-text ``source_note`` stays in the reference file: it is English only."""
    kinds = {"official_report": tr("official report"), "official_press_release": tr("official press release"),
             "national_study": tr("national study"), "academic_study": tr("academic study"),
             "news": tr("news report")}
    return [tr("%(item)s, %(area)s, AAI %(edition)s edition, data for %(year)s: %(value)s. Source (%(kind)s): "
               "%(url)s", item=tr.domain(b.item), area=b.country, edition=b.edition,
               year=tr("year not stated") if pd.isna(b.data_year) else str(b.data_year),
               value=tr.number(b.value, 1), kind=kinds[b.source_type], url=b.source_url)
            for b in benchmarks().itertuples()]


# -- headline and outputs -------------------------------------------------------------------
def _visible(outputs: pd.DataFrame, code: str) -> pd.DataFrame:
    return outputs[(outputs["indicator"] == code) & ~outputs["suppressed"]]


def _headline(tr, outputs, survey, impact, files, programmes, min_cell) -> list[str]:
    lines = []
    for programme in programmes:
        mine = outputs[outputs["programme_id"] == programme]
        reached, sessions = _visible(mine, "P.reached"), _visible(mine, "P.sessions")
        if not sessions.empty:
            lines.append(tr("%(programme)s: %(people)s people took part in %(sessions)s sessions.",
                            programme=programme, sessions=tr.number(sessions["value"].iloc[0]),
                            people=tr.number(reached["value"].iloc[0]) if not reached.empty
                            else tr("fewer than %(min)s", min=min_cell)))
        started = _visible(mine, "P.groups_started")
        if not started.empty:
            lines.append(tr("%(programme)s: %(groups)s groups started; %(meeting)s still meeting; %(self_run)s run by "
                            "their own members.", programme=programme, groups=tr.number(started["value"].iloc[0]),
                            meeting=_share_text(tr, mine, "P.groups_meeting"),
                            self_run=_share_text(tr, mine, "P.groups_self_run")))
    aai = survey[survey["is_aai"].astype(bool)] if not survey.empty else survey
    if aai.empty:
        lines.append(tr("No AAI indicators have been computed yet."))
    lines += claim_lines(tr, impact, programmes)
    lines += gap_lines(tr, survey)
    if not files.empty:
        lines.append(tr("%(read)s rows from %(files)s files were read: %(loaded)s loaded and %(quarantined)s held in "
                        "quarantine for correction.", read=tr.number(int(files["rows_read"].sum())),
                        files=tr.number(len(files)), loaded=tr.number(int(files["rows_loaded"].sum())),
                        quarantined=tr.number(int(files["rows_quarantined"].sum()))))
    return lines


def gap_lines(tr, survey) -> list[str]:
    """What the report could not measure, and why, for the funder's summary: AAI survey
    indicators the files do not answer, and those whose every figure is hidden to protect
    people. (A change that could only be described says so in ``claim_lines``.)"""
    lines = []
    aai = catalogue.survey_indicators()
    aai = aai[aai["code"].map(is_aai_indicator)]
    shown = set(survey.loc[~survey["suppressed"].astype(bool), "indicator"]) if not survey.empty else set()
    hidden = set(survey.loc[survey["suppressed"].astype(bool), "indicator"]) - shown if not survey.empty else set()
    absent = [c for c in aai["code"] if c not in shown and c not in hidden]
    if absent:
        lines.append(tr("Not measured: %(list)s (the survey files have no answers for them).",
                        list="; ".join(tr.indicator(c) for c in sorted(absent, key=code_key))))
    if hidden:
        lines.append(tr("Not shown: %(list)s (every figure is hidden: too few people to publish without identifying them).",
                        list="; ".join(tr.indicator(c) for c in sorted(hidden, key=code_key))))
    return lines


HEADLINE_FINDINGS = 3  # the strongest findings in the headline; the impact section has them all


def claim_lines(tr, impact, programmes) -> list[str]:
    """What the report claims, strongest evidence first, and nothing else: the findings
    of its claim family (``claims.findings``); when there are none, that nothing could
    be told apart from chance and the smallest changes the data could have shown."""
    if impact.empty or "role" not in impact:
        return []
    lines = []
    found = findings(impact)
    family = int(impact["family_size"].max()) if impact["family_size"].notna().any() else 0
    for r in found.head(HEADLINE_FINDINGS).itertuples():
        d = digits(r.indicator)
        lines.append(tr("%(programme)s: %(indicator)s changed by %(estimate)s %(unit)s %(method)s (95%% interval "
                        "%(low)s to %(high)s), one of %(k)s primary tests of this report that holds after correction "
                        "for all of them.", programme=r.programme_id, indicator=tr.indicator(r.indicator),
                        estimate=tr.signed(r.estimate, d), unit=tr.unit(r.unit), method=tr.method_phrase(r.method),
                        low=tr.number(r.ci_low, d), high=tr.number(r.ci_high, d), k=tr.number(family)))
    if len(found) > HEADLINE_FINDINGS:
        lines.append(tr("%(more)s more findings are listed in the impact section.",
                        more=tr.number(len(found) - HEADLINE_FINDINGS)))
    for programme in programmes:
        primary = impact[(impact["programme_id"] == programme) & (impact["role"] == "primary")]
        if primary.empty or programme in set(found["programme_id"]):
            continue
        tested = primary[primary["p_value"].notna()]
        if tested.empty:
            lines.append(tr("%(programme)s: changes are described but not tested: with fewer than four groups, or "
                            "too few respondents, no interval can separate the programme from what happened to "
                            "each group.", programme=programme))
            continue
        shares = tested.loc[tested["unit"] == "percentage_points", "mde"].dropna()
        detectable = tr(" With these numbers, a change in a share could only have been detected from about "
                        "%(low)s to %(high)s percentage points.", low=tr.number(shares.min(), 0),
                        high=tr.number(shares.max(), 0)) if not shares.empty else ""
        if family > len(tested):  # a report of several programmes corrects over all of theirs
            none = tr("%(programme)s: no change in the %(k)s primary outcomes tested could be told apart from chance "
                      "after correcting for the %(family)s primary tests of this report.", programme=programme,
                      k=tr.number(len(tested)), family=tr.number(family))
        else:
            none = tr("%(programme)s: no change in the %(k)s primary outcomes tested could be told apart from "
                      "chance after correcting for all of them.", programme=programme, k=tr.number(len(tested)))
        lines.append(none + detectable)
    return lines


def _share_text(tr, rows, code) -> str:
    """A published share of groups as a count of groups ("6 of 7"), or "suppressed"."""
    row = _visible(rows, code)
    if row.empty:
        return tr("suppressed")
    r = row.iloc[0]
    return tr("%(k)s of %(n)s", k=tr.number(round(r.value * r.n / 100)), n=tr.number(r.n))


def _cell(tr, row) -> dict:
    """One published cell, with ``digits`` of its indicator: value, interval and n — or
    the suppression label alone."""
    if row is None:
        return {"value": "–", "ci": "", "n": "", "suppressed": False}
    if bool(row.suppressed) or pd.isna(row.value):
        return {"value": tr("suppressed"), "ci": "", "n": "", "suppressed": True}
    d = digits(row.indicator)
    ci = ""
    if pd.notna(row.ci_low) and pd.notna(row.ci_high):
        ci = f"{tr.number(row.ci_low, d)}–{tr.number(row.ci_high, d)}"
    value = tr.figure(row.value, row.indicator)
    return {"value": value, "ci": ci, "n": tr.number(_num(row.n)), "suppressed": False}


def _output_table(tr, outputs, programmes) -> dict:
    """Programme outputs (rows) by programme (columns), and a total of visible counts."""
    rows = []
    for code in _outputs():
        sub = outputs[outputs["indicator"] == code]
        if sub.empty:
            continue
        cells = []
        for programme in programmes:
            match = sub[sub["programme_id"] == programme]
            cells.append(_cell(tr, match.iloc[0] if not match.empty else None))
        total = ""
        if len(programmes) > 1 and code in summable():
            visible = sub[~sub["suppressed"]]
            total = tr.number(visible["value"].sum(), digits(code)) if not visible.empty else tr("suppressed")
            if len(visible) < len(sub):
                total += " " + tr("(programmes shown)")
        rows.append({"label": tr.indicator(code), "cells": cells, "total": total})
    return {"header": programmes, "rows": rows, "with_total": len(programmes) > 1}


# -- survey indicators ------------------------------------------------------------------------
def _domain_rows(tr, domains) -> dict:
    part = domains[domains["arm"] == "participant"] if not domains.empty else domains
    wave = latest_wave(part)
    rows = []
    for programme, sub in part[part["wave"] == wave].groupby("programme_id"):
        cells = []
        for item in domain_sets.ITEMS:
            row = sub[sub["item"] == item]
            if row.empty or pd.isna(row["value"].iloc[0]):
                cells.append({"value": tr("no score"), "note": ""})
                continue
            r = row.iloc[0]
            note = tr("partial (%(used)s of %(total)s)", used=int(r.indicators_used), total=int(r.indicators_total)) \
                if r.partial else ""
            cells.append({"value": tr.number(r.value, digits(item)), "note": note})
        rows.append({"programme": programme, "cells": cells})
    shown = part[part["wave"] == wave]
    return {"wave": tr.wave(wave) if wave else None, "rows": rows,
            "header": [tr.domain(i) for i in domain_sets.ITEMS], "compared": _domain_comparison(tr, domains),
            "notes": [n for n in (domain_sets.differing(shown, tr), domain_sets.national(shown, tr)) if n]}


def _domain_comparison(tr, domains) -> list[dict]:
    """Per programme, every arm at baseline and the latest wave, scored on the same
    indicators (``comparable_value``): the only domain scores a reader may compare.
    National figures are never in them."""
    tables = []
    for programme, sub in domains.groupby("programme_id") if not domains.empty else []:
        latest = latest_wave(sub)
        shown = sub[sub["wave"].isin({"baseline", latest})]
        if shown[["arm", "wave"]].drop_duplicates().shape[0] < 2:
            continue
        rows = []
        for (arm, wave), cells in sorted(shown.groupby(["arm", "wave"]),
                                         key=lambda kv: (ARM_ORDER.get(kv[0][0], len(ARM_ORDER)), kv[0][1] != "baseline")):
            by_item = cells.set_index("item")
            rows.append({"label": f"{tr.arm(arm)}, {tr.wave(wave)}",
                         "cells": [tr.number(by_item.at[i, "comparable_value"], digits(i))
                                   if i in by_item.index and pd.notna(by_item.at[i, "comparable_value"]) else "–"
                                   for i in domain_sets.ITEMS]})
        sets = shown.drop_duplicates("item").set_index("item")["comparable_set"]
        tables.append({"programme": programme, "rows": rows,
                       "sets": [tr("%(domain)s: %(codes)s", domain=tr.domain(i), codes=sets[i])
                                for i in domain_sets.ITEMS[:-1] if i in sets.index and pd.notna(sets[i])]})
    return tables


def _indicator_tables(tr, survey) -> list[dict]:
    tables = []
    for programme, rows in survey.groupby("programme_id") if not survey.empty else []:
        columns = sorted({(r.arm, r.wave, r.wave_rank) for r in rows.itertuples()},
                         key=lambda c: (ARM_ORDER.get(c[0], len(ARM_ORDER)), c[2]))
        body = []
        for code in sorted(rows["indicator"].unique(), key=code_key):
            sub = rows[rows["indicator"] == code]
            cells = []
            for arm, wave, _ in columns:
                match = sub[(sub["arm"] == arm) & (sub["wave"] == wave)]
                cells.append(_cell(tr, match.iloc[0] if not match.empty else None))
            body.append({"label": tr.indicator(code), "cells": cells})
        tables.append({"programme": programme, "rows": body,
                       "header": [f"{tr.arm(arm)}, {tr.wave(wave)}" for arm, wave, _ in columns]})
    return tables


def _change_rows(tr, survey) -> list[dict]:
    rows = []
    # the outcomes the change chart draws above the table, so the two list the same
    drawn = survey[survey["indicator"].isin(set(change_outcomes()["code"]))] if not survey.empty else survey
    for programme, sub in drawn.groupby("programme_id"):
        frame, latest = change_frame(sub, tr)
        if latest is None:
            rows.append({"programme": programme, "wave": None, "items": [],
                         "missing": tr("No follow-up wave yet: change cannot be shown.")})
            continue
        items = []
        for (code, _), cells in frame.groupby(["indicator", "arm_rank"], sort=False):
            by_stage = {r.stage: r for r in cells.itertuples()}
            both = all(s in by_stage and not by_stage[s].suppressed for s in ("baseline", "followup"))
            diff = by_stage["followup"].value - by_stage["baseline"].value if both else None
            items.append({
                "label": tr.indicator(code), "arm": tr.arm(cells["arm"].iloc[0]),
                "baseline": _cell(tr, by_stage.get("baseline"))["value"],
                "followup": _cell(tr, by_stage.get("followup"))["value"],
                "change": tr("%(sign)s%(value)s points", sign="+" if diff >= 0 else "−",
                             value=tr.number(abs(diff), digits(code))) if diff is not None else "–",
            })
        rows.append({"programme": programme, "wave": tr.wave(latest), "missing": "", "items": items})
    return rows


# -- results framework -------------------------------------------------------------------------
def _result_rows(tr, results: pd.DataFrame) -> list[dict]:
    """The programme's results framework: the grant's own indicator names, the figures
    the ``results`` table cites (hidden ones as "suppressed") and the progress label."""
    rows = []
    for r in results.itertuples():
        d = digits(r.indicator)

        def text(value, code=r.indicator) -> str:
            return tr("suppressed") if value is None or pd.isna(value) else tr.figure(value, code)

        ci = f"{tr.number(r.ci_low, d)}–{tr.number(r.ci_high, d)}" if pd.notna(r.ci_low) and pd.notna(r.ci_high) \
            else ""
        measured = pd.notna(r.actual_id)
        rows.append({
            "name": r.name, "reference": r.reference or "", "indicator": tr.indicator(r.indicator),
            "baseline": text(r.baseline) if r.baseline_source == "framework" or pd.notna(r.baseline_id)
            else "–",
            "actual": text(r.actual) if measured else "–", "ci": ci,
            "wave": tr.wave(r.actual_wave) if measured and r.actual_wave != "all" else "",
            "target": text(r.target), "date": tr.date(r.target_date),
            "progress": tr(PROGRESS[r.progress]), "code": r.progress,
        })
    return rows


def _quality_totals(tr, files, rules) -> str:
    if files.empty:
        return tr("No files have been ingested yet.")
    return tr(
        "%(files)s files, %(read)s rows read, %(loaded)s loaded, %(quarantined)s quarantined (%(problems)s problems "
        "under %(rules)s rules).",
        files=tr.number(len(files)), read=tr.number(int(files["rows_read"].sum())),
        loaded=tr.number(int(files["rows_loaded"].sum())), quarantined=tr.number(int(files["rows_quarantined"].sum())),
        problems=tr.number(int(rules["problems"].sum()) if not rules.empty else 0),
        rules=tr.number(rules["rule"].nunique() if not rules.empty else 0),
    )


def review_note(tr, exclusions: pd.DataFrame) -> str:
    """How many records a reviewer left out of the figures, and why: per screening rule
    (docs/review.md), never the reviewer's own words, which may name people."""
    if exclusions.empty:
        return tr("No record was excluded by review: every loaded row is in the figures.")
    why = {"attendance_count": tr("attendance far above the group's that month"),
           "session_duration": tr("an implausible session length"),
           "who5_score": tr("a WHO-5 score far from the group's"),
           "straight_lining": tr("the same extreme answer to every WHO-5 question"),
           "close_interviews": tr("two interviews of one person too close in time"),
           "reviewer": tr("a reviewer's own finding")}
    by_rule = exclusions.groupby("rule", sort=True)["records"].sum()
    reasons = "; ".join(f"{why.get(rule, rule)}: {tr.number(int(n))}" for rule, n in by_rule.items())
    return tr("Records excluded by review and left out of the figures, though kept in the warehouse: "
              "%(records)s (%(reasons)s).", records=tr.number(int(by_rule.sum())), reasons=reasons)
