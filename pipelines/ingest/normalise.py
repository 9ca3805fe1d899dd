"""Header cells as people write them → the contract's column names, and a few helpers.

What a field officer's header may differ in — case, spaces, group prefixes of
KoboToolbox and ODK, question labels in five languages — is absorbed here. The cells
themselves are converted in SQL (``convert.py``).
"""

from __future__ import annotations

from pipelines import vocabulary
from schemas import CONTRACTS

# A quarantined value is kept (and quoted in a reason) only this long, with its real
# length said (the SQL macro aai_short): a cell may be megabytes.
VALUE_DISPLAY_CHARS = 60
VALUE_KEPT_CHARS = 200


def contract_columns(kind: str) -> dict[str, dict]:
    """Canonical column → field metadata (how to parse it), in contract order."""
    return {name: col.metadata or {} for name, col in CONTRACTS[kind].to_schema().columns.items()}


GROUP_SEPARATORS = ("/", "-", ":")


def header_key(header: str) -> str:
    """A header cell as compared: no BOM, trimmed, lower case, spaces as underscores."""
    return header.strip().lstrip("\ufeff").strip().lower().replace(" ", "_")


def canonical_name(header: str, known: set[str]) -> str | None:
    """Map a header cell to a canonical column, ignoring case, spaces and group paths.

    KoboToolbox joins groups with ``/`` (``section_b/volunteer_freq``), ODK Central
    with ``-`` (``grp-volunteer_freq``). In KoboToolbox's "labels" export the header is
    the question's label in the form's language (``Год рождения``, with the group's
    label before a ``/``): those map back through ``reference/questions.csv``.
    """
    name = header_key(header)
    if name in known:
        return name
    for separator in GROUP_SEPARATORS:
        tail = name.rsplit(separator, 1)[-1]
        if tail in known:
            return tail
    labels = vocabulary.question_labels()
    for text in (header, header.rsplit("/", 1)[-1]):
        column = labels.get(vocabulary.fold_header(text))
        if column in known:
            return column
    return None


def is_choice_column(header: str, others: set[str]) -> bool:
    """A select-multiple choice column (``q/choice``, ODK ``q-choice``) beside its
    summary column ``q``: its 1/0 says nothing about the contract's columns, even when
    the choice is called like one (``help/disability``)."""
    name = header_key(header)
    return any(sep in name and name.rsplit(sep, 1)[0] in others for sep in GROUP_SEPARATORS)


