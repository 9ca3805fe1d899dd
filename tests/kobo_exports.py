"""Hand-made exports in the shapes KoboToolbox and ODK Central write, for the tests.

Written from the public descriptions of the formats, not copied from a real export:

- KoboToolbox, "Exporting and downloading your data"
  (https://support.kobotoolbox.org/export_download.html) and its exporter, formpack
  (https://github.com/kobotoolbox/formpack, ``src/formpack/reporting/export.py``): CSV
  with ``;`` between cells and every cell quoted, CRLF line ends; headers are question
  labels in the chosen language ("Labels", the default) or XML names ("XML values and
  headers"); group labels or names joined to the question's with ``/`` ("include groups
  in headers", on by default); a select-multiple question as its summary column and one
  ``question/choice`` column per choice holding 1/0; metadata last (``_id``, ``_uuid``,
  ``_submission_time``, ``_validation_status``, ``_notes``, ``_status``,
  ``_submitted_by``, ``__version__``, ``_tags``, ``_index``). In an XLS(X) export each
  repeat group is its own sheet, named after the repeat, whose rows carry ``_index``,
  ``_parent_table_name`` (the parent's sheet) and ``_parent_index`` (the parent row's
  ``_index``), then ``_submission__id``, ``_submission__uuid``, … .
- ODK Central, "Submissions" (https://docs.getodk.org/central-submissions/) and the
  CSV export format it shares with Briefcase
  (https://github.com/getodk/briefcase/blob/master/docs/export-format.md): ``,``
  between cells, group paths joined with ``-``, ``SubmissionDate`` first and
  ``meta-instanceID``, ``KEY``, ``SubmitterID``, ``SubmitterName``,
  ``AttachmentsPresent``, ``AttachmentsExpected``, ``Status``, ``ReviewState``,
  ``DeviceID``, ``Edits``, ``FormVersion`` last; a repeat group is its own file,
  ``<form>-<repeat>.csv``, whose rows carry ``PARENT_KEY`` (the parent's ``KEY``,
  ``uuid:…``) and their own ``KEY`` (``uuid:…/<repeat>[n]``).
"""

from __future__ import annotations

KOBO_META = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
             "__version__", "_tags", "_index"]
ODK_META = ["meta-instanceID", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected",
            "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"]


def kobo_csv(lines: list[list[str]]) -> str:
    """Rows as KoboToolbox writes a CSV export: ``;``, every cell quoted, CRLF."""
    return "".join(";".join('"' + cell.replace('"', '""') + '"' for cell in line) + "\r\n" for line in lines)


def kobo_meta(index: int) -> list[str]:
    """The metadata cells of the ``index``-th submission (1-based, as ``_index``)."""
    return [str(1000 + index), f"u{index}", f"2024-03-0{index}T08:21:00", "", "", "submitted_via_web", "olena",
            "vGfK3", "", str(index)]


# A programme's own survey form, in Russian, exported with the default settings
# ("Labels", groups in headers): its wording follows the contract's questions only in
# part, as a form built on the contract but retyped by a coordinator would.
KOBO_RU_LABELS_HEADER = [
    "start", "end",
    "Идентификатор участника", "Программа", "Группа исследования", "Волна опроса",
    "Основное/Дата интервью", "Основное/Пол", "Основное/Год рождения", "Согласие на участие",
    "Есть ли у вас инвалидность?",
    "Вопросы/Как часто вы занимаетесь спортом или физическими упражнениями?",  # the contract's words, reordered
    "Вопросы/Как часто вы пользуетесь интернетом?",
    "Вопросы/С кем вы живете?",
    "Вопросы/Как вы оцениваете своё здоровье в целом?",
    "Вопросы/Я чувствовал(а) себя бодрым(ой) и в хорошем настроении",
    "ФИО", "Телефон",
    "Какая помощь нужна", "Какая помощь нужна/Транспорт", "Какая помощь нужна/Лекарства",
    *KOBO_META,
]
KOBO_RU_LABELS_ROWS = [
    ["2024-03-01T10:00:00.000+02:00", "2024-03-01T10:20:00.000+02:00",
     "BY-101", "BRC-WWC", "участник", "baseline", "2024-03-01", "Женский", "1950", "Да", "Нет",
     "Хотя бы раз в неделю", "Каждый день или почти каждый день", "Живу одна", "Хорошее", "3",
     "Иванова Анна", "+375 29 000 00 00", "Транспорт", "1", "0", *kobo_meta(1)],
    ["2024-03-02T10:00:00.000+02:00", "2024-03-02T10:20:00.000+02:00",
     "BY-102", "BRC-WWC", "группа сравнения", "baseline", "2024-03-02", "Мужской", "1948", "Да", "Да",
     "3. Раз или два в месяц", "Никогда", "Только с супругом", "Удовлетворительное", "4",
     "Петров Иван", "+375 29 111 11 11", "", "", "", *kobo_meta(2)],
    ["2024-03-03T10:00:00.000+02:00", "2024-03-03T10:20:00.000+02:00",
     "BY-103", "BRC-WWC", "участник", "baseline", "2024-03-03", "Женский", "1944", "Да", "Нет",
     "Затрудняюсь ответить", "Реже", "Живу одна", "Плохое", "2",
     "Сидорова Мария", "+375 29 222 22 22", "Лекарства", "0", "1", *kobo_meta(3)],
]
