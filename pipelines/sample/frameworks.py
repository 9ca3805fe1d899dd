"""The demo's results frameworks (docs/results.md): targets a grant might have set for
two of the sample programmes, chosen so the demo shows every progress label."""

from __future__ import annotations

from pathlib import Path

FRAMEWORKS = {
    "BRC-WWC": """\
# Results framework of the Belarus Red Cross "Wisdom, warmth, care" groups (demo).
programme: BRC-WWC
start: 2024-03-01
iati:
  identifier: XM-DAC-41301-BRC-WWC-2024
  reporting_org: {ref: XM-DAC-41301, type: "21", name: Belarus Red Cross}
  title: Mutual-aid groups for older people in Belarus
  description: Self-help groups of older people meeting weekly in rural and urban Belarus.
  report_url: https://example.org/aai/BRC-WWC/report.pdf
indicators:
  - code: "3.1"
    name: Share of older participants who exercise at least weekly
    reference: Outcome 1, indicator 1.1
    result: Older people lead more active lives
    baseline: from data
    target: 25
    target_date: 2025-12-31
  - code: "4.3"
    name: Share of participants with good mental well-being (WHO-5 over 50)
    reference: Outcome 1, indicator 1.2
    result: Older people lead more active lives
    baseline: from data
    target: 50
    target_date: 2025-12-31
    disaggregation: [sex, age_band]
  - code: P.who5_mean
    name: Mean WHO-5 well-being score of participants
    reference: Outcome 1, indicator 1.3
    result: Older people lead more active lives
    baseline: from data
    target: 65
    target_date: 2025-12-31
  - code: P.retention_3m
    name: Participants still attending three months after joining
    reference: Output 2.1
    result: Groups keep their members
    baseline: 0
    target: 60
    target_date: 2025-12-31
  - code: P.reached
    name: Older people reached by the groups
    reference: Output 2.2
    result: Groups keep their members
    baseline: 0
    target: 150
    target_date: 2025-12-31
""",
    "ZTRASS-WI": """\
# Results framework of the Zhytomyr groups for women in hard circumstances (demo).
programme: ZTRASS-WI
start: 2024-03-01
indicators:
  - code: P.ucla_mean
    name: Mean loneliness score (UCLA-3, 3 to 9) of participants
    reference: Outcome 1
    baseline: from data
    target: 5.0
    target_date: 2025-12-31
    ascending: false
  - code: "4.5"
    name: Share of participants meeting friends or family at least weekly
    reference: Outcome 2
    baseline: from data
    target: 70
    target_date: 2025-12-31
""",
}


def write_frameworks(folder: Path) -> list[Path]:
    """Write the demo frameworks into ``folder`` (a data root's ``frameworks/``)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for programme, text in FRAMEWORKS.items():
        path = folder / f"{programme}.yaml"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
