"""Optional pseudonymisation of participant ids, applied before anything is stored.

Programmes are asked to send pseudonymous ids, but a register may still carry a
national id number or a phone-derived code. With a salt (``$AAI_ID_SALT``, the ``id_salt`` setting), every
participant id is replaced by ``p_`` and the first 16 hex digits of
HMAC-SHA256(salt, id) as soon as a file's cells are read (``convert.py`` applies it to
the distinct ids of the file), so the raw id never reaches staging, quarantine (its value or record), the warehouse or a report. The same id
and salt give the same pseudonym in every file and every run, so survey and
attendance still join; without the salt the mapping cannot be recomputed, so keep
the salt secret and keep it unchanged for the life of a study.
"""

from __future__ import annotations

import hashlib
import hmac


PREFIX = "p_"
HEX_DIGITS = 16  # 64 bits: no collision to expect below billions of ids


def pseudonym(participant_id: str, key: bytes) -> str:
    digest = hmac.new(key, participant_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + digest[:HEX_DIGITS]
