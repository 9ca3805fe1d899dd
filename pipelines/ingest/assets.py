"""Dagster asset for the ingest stage."""

import dagster as dg

from pipelines.ingest.stage import stage_all
from pipelines.warehouse import Warehouse


@dg.asset(kinds={"duckdb", "csv"}, group_name="ingest")
def raw_files(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Every file in the drop zone (`$AAI_DATA_DIR/raw/`), recognised and read.

    For each file: its SHA-256, kind (groups, survey or attendance, from the header),
    encoding and delimiter. Rows are parsed into the contract's typed columns in the
    staging tables; answer labels in any of the five questionnaire languages become
    codes; columns outside the contract (names, phones, addresses) are dropped here.
    A paper register typed as a grid (persons × dates) becomes one attendance row per
    cell. With `AAI_ID_SALT` set, participant ids are replaced by salted pseudonyms
    before anything is stored.
    A file with the same bytes as an earlier one is not read twice. Problems found in
    a row go to `staging_problems`; the validate stage decides where each row lands.
    """

    def progress(result) -> None:
        context.log.info(
            f"{result.source_file}: {result.status}, {result.kind}, {result.rows_read} rows"
            + (f" ({result.encoding}, {result.delimiter!r})" if result.encoding else "")
        )

    with warehouse.connect() as con:
        results = stage_all(con, warehouse.paths.raw, progress=progress)
    by_status: dict[str, int] = {}
    for result in results:
        by_status[result.status] = by_status.get(result.status, 0) + 1
    return dg.MaterializeResult(
        metadata={
            "files": len(results),
            "rows_read": sum(r.rows_read for r in results),
            "files_by_status": dg.MetadataValue.json(by_status),
            "raw_dir": dg.MetadataValue.path(str(warehouse.paths.raw)),
        }
    )
