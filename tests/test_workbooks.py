"""Excel and OpenDocument workbooks: every data sheet read, its name in provenance, nothing hidden."""

import datetime as dt
from pathlib import Path
import zipfile
from xml.sax.saxutils import escape

import openpyxl
from conftest import GROUPS, ingest, rows, write

SURVEY = ["participant_id", "programme_id", "arm", "wave", "interview_date", "consent", "who5_1", "phone"]


HIDDEN_STYLE = ' table:style-name="hidden"'


def ods(path, sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()):
    """A minimal OpenDocument spreadsheet; a cell is text, a number, or (formula, saved result);
    the sheets named in ``hidden`` are hidden (a table style with display false)."""

    def cell(value) -> str:
        if isinstance(value, tuple):
            formula, saved = value
            return (f'<table:table-cell table:formula="of:{escape(formula)}" office:value-type="float" '
                    f'office:value="{saved}"><text:p>{saved}</text:p></table:table-cell>')
        if isinstance(value, (int, float)):
            return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                    f"<text:p>{value}</text:p></table:table-cell>")
        return f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'

    tables = "".join(
        f'<table:table table:name="{escape(name)}"{HIDDEN_STYLE if name in hidden else ""}>'
        + "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in table)
        + "</table:table>"
        for name, table in sheets.items()
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" office:version="1.2">'
        '<office:automatic-styles><style:style style:name="hidden" style:family="table">'
        '<style:table-properties table:display="false"/></style:style></office:automatic-styles>'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return path


def test_xlsx_sheets_rows_and_what_a_workbook_hides(data_root):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Baseline 2024"
    sheet.append(["Survey, baseline 2024"])
    sheet.merge_cells("A1:C1")
    sheet.append([])
    sheet.append(SURVEY)
    sheet.append(["P1", "X", "participant", "baseline", dt.date(2024, 3, 1), "yes", 3, "+380 00 000 00 01"])
    sheet.append(["P2", "X", "participant", "baseline", dt.datetime(2024, 3, 2), True, "=1+2", "+380 00 000 00 02"])
    sheet.append(["P3", "X", "participant", "baseline", "31.02.2024", "так", 2.0, ""])
    sheet.append(["P4", "X", "participant", "baseline", 45366, "no", 9, ""])
    notes = book.create_sheet("Notes")
    notes.append(["Written by"])
    notes.append(["Olena"])
    lists = book.create_sheet("Lists")
    lists.sheet_state = "hidden"
    lists.append(["participant_id", "wave"])
    lists.append(["P9", "baseline"])
    book.save(data_root / "raw/book.xlsx")
    con = ingest(data_root / "raw")
    log = {r[0]: r[1:] for r in rows(con, "SELECT source_file, kind, encoding, rows_read, rows_loaded, "
                                          "rows_quarantined, status, message FROM ingest_log")}
    assert set(log) == {"book.xlsx#Baseline 2024", "book.xlsx#Notes"}
    kind, encoding, read, loaded, quarantined, status, message = log["book.xlsx#Baseline 2024"]
    assert (kind, encoding, read, loaded, quarantined, status) == ("survey", "xlsx", 4, 2, 2, "loaded_with_quarantine")
    for sentence in ("the header is row 3; the rows above it were not read",
                     "1 formula cells (first G5) were read as the results saved with the file",
                     "hidden sheets were not read: Lists", "columns outside the contract were dropped: phone"):
        assert sentence in message
    assert log["book.xlsx#Notes"][-2] == "skipped" and log["book.xlsx#Notes"][2] == 0
    # Row numbers are the sheet's own; an Excel date serial and a logical cell read as typed.
    assert rows(con, "SELECT participant_id, interview_date::VARCHAR, consent, who5_1, source_row, source_line "
                     "FROM survey ORDER BY 1") == [("P1", "2024-03-01", True, 3, 4, 4), ("P2", "2024-03-02", True, None, 5, 5)]
    assert rows(con, "SELECT source_file, source_row, column_name, rule, value, effect FROM quarantine ORDER BY 2") == [
        ("book.xlsx#Baseline 2024", 6, "interview_date", "bad_date", "31.02.2024", "row"),
        ("book.xlsx#Baseline 2024", 7, "consent", "no_consent", "no", "row"),
        ("book.xlsx#Baseline 2024", 7, "who5_1", "out_of_range", "9", "cell"),
    ]
    for (table,) in rows(con, "SELECT table_name FROM information_schema.tables"):
        assert "+380" not in str(rows(con, f"SELECT * FROM {table}")), table


def test_ods_register_with_a_formula_and_a_merged_header(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    ods(data_root / "raw/ua/реєстр.ods", {
        "Березень": [
            ["group_id", "session_date", "participant_id", "attended", "duration_minutes"],
            ["BY-GRO-001", "01.03.2024", "P1", "так", 90],
            ["BY-GRO-001", "01.03.2024", "P2", "ні", ("=45*2", 90)],
            ["BY-GRO-001", "31.03.2031", "P3", "так", 60],
        ],
        "Empty": [],
        "Списки": [["participant_id", "wave"], ["P9", "baseline"]],
    }, hidden=("Списки",))
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT kind, encoding, rows_read, rows_loaded, status, message FROM ingest_log "
                     "WHERE source_file = 'ua/реєстр.ods#Березень'") == [
        ("attendance", "ods", 3, 2, "loaded_with_quarantine",
         "1 formula cells (first E3) were read as the results saved with the file; if one is empty, open the "
         "workbook in a spreadsheet, save it and send it again; hidden sheets were not read: Списки; unhide a "
         "sheet that holds data; 1 rows quarantined; problems: future_date 1")
    ]
    assert rows(con, "SELECT participant_id, attended, duration_minutes, source_row FROM attendance ORDER BY 1") == [
        ("P1", True, 90, 2), ("P2", False, 90, 3)
    ]
    assert rows(con, "SELECT source_file, source_row, rule FROM quarantine") == [
        ("ua/реєстр.ods#Березень", 4, "future_date")
    ]


def test_a_workbook_no_sheet_of_which_is_data_is_counted_and_unrecognised(data_root):
    ods(data_root / "raw/contacts.ods", {"Sheet1": [["name", "phone"], ["Olena", "+380 1"], ["Ivan", "+380 2"]]})
    write(data_root / "raw/broken.xlsx", "this is not a workbook")
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT source_file, status, rows_read, rows_quarantined FROM ingest_log ORDER BY 1") == [
        ("broken.xlsx", "unreadable", 0, 0), ("contacts.ods#Sheet1", "unrecognised", 2, 2)
    ]
    assert rows(con, "SELECT message FROM ingest_log WHERE source_file = 'broken.xlsx'")[0][0].startswith(
        "the file could not be read as a workbook (BadZipFile): it may be damaged, or another kind of file renamed")


def test_a_zip_without_the_workbook_is_a_damaged_workbook(data_root):
    """The size check reads the zip's directory first: a zip lacking xl/workbook.xml once
    failed there with "an unexpected KeyError" instead of the damaged-workbook sentence."""
    with zipfile.ZipFile(data_root / "raw/renamed.xlsx", "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT status, message FROM ingest_log")[0][1].startswith(
        "the file could not be read as a workbook (BadZipFile): it may be damaged, or another kind of file renamed")


def test_merged_cells_are_named_in_the_log(data_root):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["participant_id", "programme_id", "arm", "wave", "interview_date", "consent", "Contacts", None])
    sheet.merge_cells("G1:H1")
    sheet.append(["P1", "X", "participant", "baseline", "2024-03-01", "yes", "+380 1", "Kyiv"])
    sheet.append(["P2", None, "participant", "baseline", "2024-03-01", "yes", "", ""])
    sheet.append(["P3", None, "participant", "baseline", "2024-03-01", "yes", "", ""])
    sheet.merge_cells("B2:B4")  # one programme written once for three people
    book.save(data_root / "raw/merged.xlsx")
    con = ingest(data_root / "raw")
    ((message, loaded),) = rows(con, "SELECT message, rows_loaded FROM ingest_log")
    assert "merged header cells G1:H1: only the first column of a merged range has a name" in message
    assert "merged cells B2:B4: the value is in the first cell of each range only" in message
    assert loaded == 1


def test_an_excel_97_workbook_is_read_sheet_by_sheet(data_root):
    """fixtures/survey.xls was written with xlwt 1.3.0 (Excel 97–2003, BIFF8): a sheet
    Анкета with a header and two respondents (interview dates as date cells formatted
    DD.MM.YYYY, birth years and WHO-5 as numbers, a name column), and a sheet Списки of
    answer notes."""
    fixture = Path(__file__).parent / "fixtures/survey.xls"
    (data_root / "raw/survey.xls").write_bytes(fixture.read_bytes())
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT participant_id, arm, interview_date::VARCHAR, birth_year, consent, who5_1, source_file, "
                     "source_row FROM survey ORDER BY 1") == [
        ("BY-201", "participant", "2024-03-01", 1950, True, 3, "survey.xls#Анкета", 2),
        ("BY-202", "comparison", "2024-03-02", 1947, True, None, "survey.xls#Анкета", 3),
    ]
    assert rows(con, "SELECT source_row, column_name, value, effect FROM quarantine") == [(3, "who5_1", "7", "cell")]
    assert rows(con, "SELECT source_file, status, rows_read, columns_ignored FROM ingest_log ORDER BY 1") == [
        ("survey.xls#Анкета", "loaded_with_quarantine", 2, "ФИО"), ("survey.xls#Списки", "skipped", 0, ""),
    ]


def test_a_sheet_too_large_to_load_is_refused_alone(data_root, monkeypatch):
    """calamine loads a sheet whole (a 14 MB .xlsx took 443 MB): a sheet is measured from
    the zip's directory first, and one over the cap is refused, never loaded; the others load."""
    from pipelines.ingest import workbook

    book = openpyxl.Workbook()
    groups = book.active
    groups.title = "groups"
    for line in GROUPS.splitlines():
        groups.append(line.split(","))
    attendance = book.create_sheet("attendance")
    attendance.append(["group_id", "session_date", "participant_id", "attended"])
    for i in range(200):
        attendance.append(["BY-GRO-001", "2024-03-01", f"P{i}", "yes"])
    path = data_root / "raw/book.xlsx"
    book.save(path)
    sizes = workbook.sheet_sizes(path)
    assert sizes["groups"] < sizes["attendance"]
    monkeypatch.setattr(workbook, "MAX_SHEET_BYTES", sizes["groups"])
    loaded = []
    load = workbook.calamine.CalamineWorkbook.get_sheet_by_name
    monkeypatch.setattr(workbook.calamine.CalamineWorkbook, "get_sheet_by_name",
                        lambda self, name: loaded.append(name) or load(self, name))
    con = ingest(data_root / "raw")
    assert loaded == ["groups"]
    assert rows(con, "SELECT source_file, status, rows_read, message FROM ingest_log ORDER BY 1") == [
        ("book.xlsx#attendance", "unreadable", 0,
         f"the sheet is {sizes['attendance']:,} bytes unpacked, more than the {sizes['groups']:,} a sheet may be, so "
         "none of it was read (a workbook's sheet is read whole into memory); save the sheet as CSV (UTF-8, comma "
         "separated) and send that"),
        ("book.xlsx#groups", "loaded", 2, ""),
    ]
