"""Build the report: ``build_report(con, charts, out_dir)`` → ``report.html`` + ``report.pdf``.

``gather`` turns the warehouse into the template's context — numbers already formatted
and sentences already translated, so the template only lays them out. Every table may
be missing or empty (a first run, no follow-up wave, impact not computed yet): the
context then carries a sentence saying what is missing and the section still renders.

The HTML is self-contained (charts as data URIs, CSS inline, no fonts or scripts
fetched), so it can be e-mailed or archived; the PDF is rendered from the same HTML by
WeasyPrint with a URL fetcher that allows nothing but data URIs.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import duckdb
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pipelines.charts import queries
from pipelines.charts.build import ChartInfo, change_frame, largest_rise
from pipelines.report.i18n import Translator
from pipelines.settings import min_cell_size

TEMPLATES = Path(__file__).parent / "templates"
HTML_NAME, PDF_NAME = "report.html", "report.pdf"
TOP_RULES = 10


@dataclass(frozen=True)
class ReportPaths:
    html: Path
    pdf: Path


def build_report(
    con: duckdb.DuckDBPyConnection,
    charts: list[ChartInfo],
    out_dir: Path,
    *,
    lang: str = "en",
    min_cell: int | None = None,
) -> ReportPaths:
    """Render the report from the warehouse and already-drawn charts into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tr = Translator(lang)
    context = gather(con, tr, min_cell or min_cell_size())
    context["charts"] = _charts_by_section(charts)
    html = render_html(context, tr)
    paths = ReportPaths(out_dir / HTML_NAME, out_dir / PDF_NAME)
    paths.html.write_text(html, encoding="utf-8")
    write_pdf(html, paths.pdf)
    return paths


# -- rendering ----------------------------------------------------------------------------
def render_html(context: dict, tr: Translator) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(tr.translations, newstyle=True)
    return env.get_template("report.html.j2").render(**context, lang=tr.lang)


def write_pdf(html: str, path: Path) -> None:
    """Render ``html`` to an A4 PDF. Only ``data:`` URIs may be fetched, and a failed
    fetch stops the run, so a report that is not self-contained cannot slip out."""
    from weasyprint import HTML  # slow import: only when a PDF is actually written
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    HTML(string=html, url_fetcher=fetcher).write_pdf(path)


def _data_uri(path: Path, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _charts_by_section(charts: list[ChartInfo]) -> dict[str, list[dict]]:
    sections: dict[str, list[dict]] = {}
    for chart in charts:
        item = {"key": chart.key, "title": chart.title, "caption": chart.caption, "alt": chart.alt,
                "message": chart.message, "src": _data_uri(chart.png, "image/png") if chart.available else None}
        sections.setdefault(chart.section, []).append(item)
    return sections


# -- the figures --------------------------------------------------------------------------
def gather(con: duckdb.DuckDBPyConnection, tr: Translator, min_cell: int) -> dict:
    """Everything the template shows, formatted for ``tr``'s language."""
    groups = queries.groups_summary(con)
    reach = queries.reach(con, min_cell=min_cell)
    indicators = queries.indicator_totals(con)
    domains = queries.domain_totals(con)
    files = queries.files(con)
    rules = queries.quarantine_rules(con)
    impact = queries.impact_estimates(con)
    context = {
        "min_cell": min_cell,
        "programmes": sorted(set(groups["programme_id"].dropna()) | set(indicators["programme_id"].dropna())),
        "headline": _headline(tr, groups, reach, indicators, files, min_cell),
        "reach": _reach_rows(tr, groups, reach),
        "domains": _domain_rows(tr, domains),
        "indicator_tables": _indicator_tables(tr, indicators, min_cell),
        "changes": _change_rows(tr, indicators, min_cell),
        "impact": None if impact is None else _impact_rows(tr, impact),
        "files": _file_rows(tr, files),
        "rules": _rule_rows(tr, rules),
        "quality_totals": _quality_totals(tr, files, rules),
        "period": _period(tr, reach),
    }
    context["cite"] = _citation(tr, context)
    return context


def _num(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _headline(tr, groups, reach, indicators, files, min_cell) -> list[str]:
    lines = []
    total = groups[groups["programme_id"].isna()]
    if not total.empty:
        g = total.iloc[0]
        lines.append(tr(
            "%(groups)s groups in %(programmes)s programmes across %(countries)s countries; still meeting: "
            "%(still)s; run by their own members: %(self_run)s.",
            groups=tr.number(g.groups), programmes=tr.number(int(groups["programme_id"].notna().sum())),
            countries=tr.number(g.countries), still=tr.number(g.still_meeting), self_run=tr.number(g.self_run),
        ))
    else:
        lines.append(tr("No groups are registered yet."))
    total = reach[reach["programme_id"].isna()]
    if not total.empty:
        r = total.iloc[0]
        people = _num(r.people)
        lines.append(tr(
            "%(people)s people attended at least one of %(sessions)s sessions between %(first)s and %(last)s.",
            people=tr.number(people) if people is not None else tr("fewer than %(min)s", min=min_cell),
            sessions=tr.number(r.sessions), first=tr.date(r.first_session), last=tr.date(r.last_session),
        ))
    else:
        lines.append(tr("No attendance has been recorded yet."))
    aai = indicators[indicators["is_aai"].astype(bool)] if not indicators.empty else indicators
    if aai.empty:
        lines.append(tr("No AAI indicators have been computed yet."))
    for programme, rows in aai.groupby("programme_id"):
        frame, latest = change_frame(rows, tr)
        rise = largest_rise(frame[frame["arm"] == "participant"]) if latest else None
        if rise is None:
            continue
        n = frame[(frame["indicator"] == rise["indicator"]) & (frame["arm"] == "participant")
                  & (frame["stage"] == "followup")]["n"]
        lines.append(tr(
            "Among %(programme)s participants, %(indicator)s rose from %(before)s at baseline to %(after)s at "
            "%(wave)s (n = %(n)s); see the change section for the comparison group.",
            programme=programme, indicator=tr.indicator(rise["indicator"]), before=tr.percent(rise["baseline"]),
            after=tr.percent(rise["followup"]), wave=tr.wave(latest), n=tr.number(int(n.iloc[0])),
        ))
    if not files.empty:
        lines.append(tr(
            "%(read)s rows from %(files)s files were read: %(loaded)s loaded and %(quarantined)s held in "
            "quarantine for correction.",
            read=tr.number(int(files["rows_read"].sum())), files=tr.number(len(files)),
            loaded=tr.number(int(files["rows_loaded"].sum())),
            quarantined=tr.number(int(files["rows_quarantined"].sum())),
        ))
    return lines


def _reach_rows(tr, groups, reach) -> list[dict]:
    if groups.empty and reach.empty:
        return []
    merged = pd.merge(groups, reach, on="programme_id", how="outer")
    merged = merged.sort_values("programme_id", na_position="last")
    rows = []
    for r in merged.itertuples():
        people = _num(r.people)
        rows.append({
            "programme": r.programme_id if isinstance(r.programme_id, str) else tr("All programmes"),
            "total": not isinstance(r.programme_id, str),
            "groups": tr.number(_num(r.groups)), "still_meeting": tr.number(_num(r.still_meeting)),
            "self_run": tr.number(_num(r.self_run)), "sessions": tr.number(_num(r.sessions)),
            "people": tr.number(people) if people is not None or pd.isna(r.sessions) else tr("suppressed"),
            "period": f"{tr.date(_date(r.first_session))} – {tr.date(_date(r.last_session))}"
            if _date(r.first_session) else "–",
        })
    return rows


def _date(value):
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _domain_rows(tr, domains) -> dict:
    part = domains[domains["arm"] == "participant"] if not domains.empty else domains
    wave = queries.latest_wave(part)
    rows = []
    for programme, sub in part[part["wave"] == wave].groupby("programme_id"):
        cells = []
        for item in ("D1", "D2", "D3", "D4", "AAI"):
            row = sub[sub["item"] == item]
            if row.empty or pd.isna(row["value"].iloc[0]):
                cells.append({"value": tr("no score"), "note": ""})
                continue
            r = row.iloc[0]
            note = tr("partial (%(used)s of %(total)s)", used=_int(r.indicators_used), total=_int(r.indicators_total)) \
                if r.partial else ""
            cells.append({"value": tr.number(r.value, 1), "note": note})
        rows.append({"programme": programme, "cells": cells})
    return {"wave": tr.wave(wave) if wave else None, "header": [tr.domain(i) for i in ("D1", "D2", "D3", "D4", "AAI")],
            "rows": rows}


def _int(value) -> str:
    return "?" if value is None or pd.isna(value) else str(int(value))


def _value_text(tr, row, min_cell) -> dict:
    """One published cell: value, interval and n — or the suppression label alone."""
    if bool(row.suppressed) or pd.isna(row.value):
        return {"value": tr("suppressed"), "ci": "", "n": "", "suppressed": True}
    fmt = tr.percent if row.is_aai else (lambda v: tr.number(v, 2))
    ci = ""
    if pd.notna(row.ci_low) and pd.notna(row.ci_high):
        digits = 1 if row.is_aai else 2
        ci = f"{tr.number(row.ci_low, digits)}–{tr.number(row.ci_high, digits)}"
    return {"value": fmt(row.value), "ci": ci, "n": tr.number(_num(row.n)), "suppressed": False}


def _indicator_tables(tr, indicators, min_cell) -> list[dict]:
    tables = []
    for programme, rows in indicators.groupby("programme_id") if not indicators.empty else []:
        columns = sorted({(r.arm, r.wave, r.wave_rank) for r in rows.itertuples()},
                         key=lambda c: ({"participant": 0, "comparison": 1}.get(c[0], 2), c[2]))
        header = [f"{tr.arm(arm)}, {tr.wave(wave)}" for arm, wave, _ in columns]
        body = []
        for code in sorted(rows["indicator"].unique(), key=_code_key):
            sub = rows[rows["indicator"] == code]
            cells = []
            for arm, wave, _ in columns:
                match = sub[(sub["arm"] == arm) & (sub["wave"] == wave)]
                cells.append(_value_text(tr, match.iloc[0], min_cell) if not match.empty else
                             {"value": "–", "ci": "", "n": "", "suppressed": False})
            body.append({"label": tr.indicator(code), "cells": cells})
        tables.append({"programme": programme, "header": header, "rows": body})
    return tables


def _code_key(code: str) -> tuple:
    major, _, minor = str(code).partition(".")
    return (0, int(major), int(minor), "") if major.isdigit() and minor.isdigit() else (1, 0, 0, str(code))


def _change_rows(tr, indicators, min_cell) -> list[dict]:
    rows = []
    aai = indicators[indicators["is_aai"].astype(bool)] if not indicators.empty else indicators
    for programme, sub in aai.groupby("programme_id"):
        frame, latest = change_frame(sub, tr)
        if latest is None:
            rows.append({"programme": programme, "wave": None,
                         "missing": tr("No follow-up wave yet: change cannot be shown."),
                         "items": []})
            continue
        items = []
        for (code, arm), cells in frame.groupby(["indicator", "arm_rank"], sort=False):
            by_stage = {r.stage: r for r in cells.itertuples()}
            texts = {s: _value_text(tr, by_stage[s], min_cell)["value"] if s in by_stage else "–"
                     for s in ("baseline", "followup")}
            both = all(s in by_stage and not by_stage[s].suppressed for s in ("baseline", "followup"))
            diff = by_stage["followup"].value - by_stage["baseline"].value if both else None
            items.append({
                "label": tr.indicator(code), "arm": tr.arm(cells["arm"].iloc[0]),
                "baseline": texts["baseline"], "followup": texts["followup"],
                "change": tr("%(sign)s%(value)s points", sign="+" if diff >= 0 else "−",
                             value=tr.number(abs(diff), 1)) if diff is not None else "–",
            })
        rows.append({"programme": programme, "wave": tr.wave(latest), "missing": "", "items": items})
    return rows


def _impact_rows(tr, impact) -> list[dict]:
    return [{
        "programme": r.programme_id, "label": tr.indicator(r.indicator), "method": r.method,
        "estimate": tr.number(_num(r.estimate), 1), "n": tr.number(_num(r.n)),
        "ci": f"{tr.number(_num(r.ci_low), 1)} – {tr.number(_num(r.ci_high), 1)}" if pd.notna(r.ci_low) else "–",
        "p": tr.number(_num(r.p_value), 3), "note": r.note or "",
    } for r in impact.itertuples()]


def _file_rows(tr, files) -> list[dict]:
    return [{"file": r.source_file, "kind": r.kind, "status": tr.status(r.status),
             "read": tr.number(r.rows_read), "loaded": tr.number(r.rows_loaded),
             "quarantined": tr.number(r.rows_quarantined)} for r in files.itertuples()]


def _rule_rows(tr, rules) -> list[dict]:
    # Counts by rule and column only: quarantine.value/record/reason may quote personal data.
    return [{"rule": r.rule, "table": r.table_name, "column": r.column_name or "–",
             "problems": tr.number(r.problems), "rows": tr.number(r.rows)} for r in rules.head(TOP_RULES).itertuples()]


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


def _period(tr, reach) -> str:
    total = reach[reach["programme_id"].isna()] if not reach.empty else reach
    if total.empty:
        return tr("no attendance recorded yet")
    return f"{tr.date(_date(total['first_session'].iloc[0]))} – {tr.date(_date(total['last_session'].iloc[0]))}"


def _citation(tr, context: dict) -> dict:
    """A suggested citation and a fingerprint of the figures it cites.

    The fingerprint hashes the figures shown (not the rendered files), so it is the
    same whenever the data are, whatever the layout or the build time.
    """
    figures = {k: context[k] for k in ("headline", "reach", "domains", "indicator_tables", "changes", "impact",
                                       "files", "rules")}
    digest = hashlib.sha256(json.dumps(figures, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    try:
        code_version = version("aai-impact")
    except PackageNotFoundError:
        code_version = "dev"
    programmes = ", ".join(context["programmes"]) or tr("no programme yet")
    return {
        "fingerprint": digest[:16],
        "code_version": code_version,
        "text": tr(
            "%(programmes)s. Active Ageing Index programme report, data %(period)s. Produced with aai-impact "
            "%(version)s. Figures fingerprint %(fingerprint)s.",
            programmes=programmes, period=context["period"], version=code_version, fingerprint=digest[:16],
        ),
    }
