"""Names and values written into generated SQL, safely.

File headers, date headers of a register and plan constants are user text: they reach
SQL only through these two functions (cells themselves are never written into SQL).
"""


def quote(name: str) -> str:
    """An identifier for SQL, whatever the user called it."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A string literal for SQL."""
    return "'" + value.replace("'", "''") + "'"
