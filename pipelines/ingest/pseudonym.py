"""Optional pseudonymisation of participant ids, applied before anything is stored.

Programmes are asked to send pseudonymous ids, but a register may still carry a
national id number or a phone-derived code. With ``$AAI_ID_SALT`` set, every
participant id is replaced by ``p_`` and the first 16 hex digits of
HMAC-SHA256(salt, id) as soon as a file's cells are read, so the raw id never reaches
staging, quarantine (its value or record), the warehouse or a report. The same id
and salt give the same pseudonym in every file and every run, so survey and
attendance still join; without the salt the mapping cannot be recomputed, so keep
the salt secret and keep it unchanged for the life of a study.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import pandas as pd


SALT_VARIABLE = "AAI_ID_SALT"
PREFIX = "p_"
HEX_DIGITS = 16  # 64 bits: no collision to expect below billions of ids


def salt() -> bytes | None:
    """The salt from the environment, read when a file is staged (never at import)."""
    value = os.environ.get(SALT_VARIABLE, "")
    return value.encode("utf-8") if value.strip() else None


def pseudonym(participant_id: str, key: bytes) -> str:
    digest = hmac.new(key, participant_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + digest[:HEX_DIGITS]


def pseudonymise(con, table: str, column: str, key: bytes | None) -> None:
    """Replace each non-empty id of ``table.column`` (raw text, trimmed here) by its
    pseudonym, computed once per distinct id; empty stays empty, so that a missing id
    is still reported as missing."""
    if key is None:
        return
    ids = [row[0] for row in con.execute(
        f"SELECT DISTINCT aai_clean({column}) FROM {table} WHERE aai_clean({column}) IS NOT NULL").fetchall()]
    mapping = pd.DataFrame({"raw_id": pd.Series(ids, dtype="str"),
                            "pseudonym": pd.Series([pseudonym(i, key) for i in ids], dtype="str")})
    con.register("_pseudonyms", mapping)
    try:
        con.execute(f"UPDATE {table} SET {column} = p.pseudonym FROM _pseudonyms p WHERE aai_clean({table}.{column}) = p.raw_id")
    finally:
        con.unregister("_pseudonyms")
