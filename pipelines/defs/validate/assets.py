"""Dagster assets and checks for the validate stage: the warehouse's core tables."""

import dagster as dg
import pandas as pd
import pandera.pandas as pa

from pipelines.defs.ingest.assets import WORK_FOLDER
from pipelines.ingest.normalise import contract_columns
from pipelines.ingest.stage import workspace
from pipelines.validate.warehouse_tables import build_tables
from pipelines.defs.resources import AaiSettings
from pipelines.warehouse import WAREHOUSE_POOL, markdown_table
from schemas import CONTRACTS

ROWS_BALANCE_CHECK = "rows_balance"
CONTRACT_CHECK = "matches_contract"
CORE_TABLES = ("groups", "survey", "attendance")
CHECK_CHUNK_VECTORS = 100  # DuckDB vectors of 2,048 rows: about 200,000 rows a batch

# The data-quality view: what goes wrong most, with one reason to show the fix. The
# offending value is masked in the example (…): metadata is visible to anyone with
# access to the Dagster UI, and a value may be an id.
TOP_REASONS = """
SELECT table_name AS "table", rule, column_name AS "column", count(*) AS problems,
       count(DISTINCT source_file) AS files,
       first(CASE WHEN value <> '' THEN replace(reason, value, '…') ELSE reason END
             ORDER BY source_file, source_row, source_column) AS example_reason
FROM quarantine
GROUP BY ALL
ORDER BY problems DESC, "table", rule, "column"
LIMIT 10
"""

TABLE_DESCRIPTIONS = {
    "groups": "Registered groups, one row per group, canonical codes.",
    "survey": "Survey responses, one row per respondent per wave, consenting respondents only; "
    "`age` = interview year − birth year.",
    "attendance": "Attendance, one row per person per session, for registered groups only.",
    "quarantine": "Every problem found in a row or cell: file, record and line, column, rule, value, a reason "
    "a field officer can act on and its effect (the row kept out, or only the cell loaded as empty), with "
    "the row's contract columns as JSON (personal-data columns never kept).",
    "ingest_log": "One row per path under raw/: hash, kind, encoding, delimiter, rows read, loaded and "
    "quarantined, cells quarantined, columns ignored, status and message. "
    "rows_read = rows_loaded + rows_quarantined.",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(name, deps=["raw_files"], description=TABLE_DESCRIPTIONS[name], kinds={"duckdb"})
        for name in (*CORE_TABLES, "quarantine", "ingest_log")
    ],
    check_specs=[
        dg.AssetCheckSpec(ROWS_BALANCE_CHECK, asset="ingest_log", blocking=True,
                          description="Every row read is either loaded or quarantined."),
        *(
            dg.AssetCheckSpec(CONTRACT_CHECK, asset=name, blocking=True,
                              description=f"The whole `{name}` table satisfies its pandera contract.")
            for name in CORE_TABLES
        ),
    ],
    group_name="validate",
    pool=WAREHOUSE_POOL,
)
def warehouse_tables(context: dg.AssetExecutionContext, settings: AaiSettings):
    """Apply cross-file rules and write groups, survey, attendance, quarantine and ingest_log."""
    with settings.connect() as con, workspace(con, settings.paths.processed / WORK_FOLDER):
        build_tables(con)
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (*CORE_TABLES, "quarantine", "ingest_log")}
        by_rule = con.execute(
            "SELECT table_name, rule, count(*) AS problems FROM quarantine GROUP BY ALL ORDER BY problems DESC"
        ).df()
        top_reasons = con.execute(TOP_REASONS).df()
        log = con.execute("SELECT * FROM ingest_log").df()
        unbalanced = log[log.rows_read != log.rows_loaded + log.rows_quarantined]
        contract_results = {t: _contract_failures(con, t) for t in CORE_TABLES}

    for name in CORE_TABLES:
        rules = by_rule[by_rule.table_name == name]
        yield dg.MaterializeResult(
            asset_key=name,
            metadata={
                "rows": counts[name],
                "quarantined_by_rule": dg.MetadataValue.md(markdown_table(rules.drop(columns="table_name"))),
            },
        )
        failures = contract_results[name]
        yield dg.AssetCheckResult(
            asset_key=name,
            check_name=CONTRACT_CHECK,
            passed=failures.empty,
            metadata={"failures": len(failures), "first_failures": dg.MetadataValue.md(markdown_table(failures.head(10)))},
        )
    yield dg.MaterializeResult(
        asset_key="quarantine",
        metadata={
            "problems": counts["quarantine"],
            "by_rule": dg.MetadataValue.md(markdown_table(by_rule)),
            "top_reasons": dg.MetadataValue.md(markdown_table(top_reasons)),
        },
    )
    summary = log[["source_file", "kind", "rows_read", "rows_loaded", "rows_quarantined", "status"]]
    yield dg.MaterializeResult(
        asset_key="ingest_log",
        metadata={
            "files": counts["ingest_log"],
            "rows_loaded": int(log.rows_loaded.sum()),
            "rows_quarantined": int(log.rows_quarantined.sum()),
            "files_table": dg.MetadataValue.md(markdown_table(summary)),
            "top_reasons": dg.MetadataValue.md(markdown_table(top_reasons)),
        },
    )
    yield dg.AssetCheckResult(
        asset_key="ingest_log",
        check_name=ROWS_BALANCE_CHECK,
        passed=unbalanced.empty,
        metadata={"unbalanced_files": dg.MetadataValue.md(markdown_table(unbalanced)) if len(unbalanced) else "none"},
    )


def _contract_failures(con, table: str) -> pd.DataFrame:
    """Re-validate a final table against its contract, in batches: a bug guard that
    nothing slipped between staging and the warehouse."""
    contract = CONTRACTS[table]
    columns = list(contract.to_schema().columns)
    select = ", ".join(f'"{c}"' for c in columns)
    result = con.execute(f"SELECT {select} FROM {table}")
    failures = []
    while len(chunk := result.fetch_df_chunk(CHECK_CHUNK_VECTORS)):
        frame = _as_contract_types(chunk, table)
        try:
            contract.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as errors:
            failures.append(errors.failure_cases[["column", "check", "failure_case"]].astype(str))
    return pd.concat(failures, ignore_index=True) if failures else pd.DataFrame(columns=["column", "check", "failure_case"])


def _as_contract_types(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    for name, meta in contract_columns(table).items():
        parse = meta.get("parse")
        if parse == "date":
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[us]")
        elif parse == "yes_no":
            frame[name] = frame[name].astype("boolean")
        elif parse == "integer":
            frame[name] = frame[name].astype("Int64")
        else:
            frame[name] = frame[name].astype("str")
    return frame
