"""CSV cells a spreadsheet reads as text, never as a formula (issue 9, class 6).

A student's name, id or email comes from the LMS, and a message can quote the
student's own error text: ``=HYPERLINK("http://x","click")`` as a first name was a
live formula in Excel, LibreOffice and Google Sheets once exported. Following OWASP's
CSV-injection guidance (and ASVS 1.2.10), a text cell that begins with ``=``, ``+``,
``-``, ``@``, a tab, a carriage return or a NUL gets a leading single quote ``'``,
which spreadsheets read as "this is text". Two choices beyond the letter of OWASP:

- The check looks past leading whitespace (``" =1+1"`` is neutralised too):
  spreadsheets trim cells on import in some settings (LibreOffice's "trim spaces",
  Google Sheets), and a quote in front of a space costs an honest name nothing.
- The full-width forms ``＝ ＋ － ＠`` count as well (Excel with an East Asian input
  method reads them as the ASCII signs).

A cell that is a plain decimal number (``-3.5``, ``+2``, ``1e-3``) stays as it is, so
scores remain numbers; ``-3+cmd|' /C calc'!A0`` is not one and is neutralised.

Every CSV convgrade writes goes through :func:`write_csv`, which also quotes a
cell holding a line break of either kind (RFC 4180), so no value can start a row.
"""
from __future__ import annotations

import re

import pandas as pd

#: Characters that start a formula (or a DDE call) in a spreadsheet cell.
FORMULA_STARTS = frozenset("=+-@\t\r\0") | frozenset("\uff1d\uff0b\uff0d\uff20")
_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")
_LEADING_SPACE = " \u00a0\u3000\n\x0b\x0c"  # whitespace a spreadsheet may trim (not tab, CR: formula starts)


def inert_cell(value):
    """``value`` as a spreadsheet will read it as text: a string starting with a
    formula character (after leading whitespace) gets a leading ``'``; numbers, plain
    decimal strings and non-strings are returned unchanged.

    >>> inert_cell('=HYPERLINK("http://x","click")')
    '\\'=HYPERLINK("http://x","click")'
    >>> inert_cell("-3.5"), inert_cell(-3.5), inert_cell("Ana")
    ('-3.5', -3.5, 'Ana')
    """
    if not isinstance(value, str) or _NUMBER.fullmatch(value):
        return value
    stripped = value.lstrip(_LEADING_SPACE)
    if stripped and stripped[0] in FORMULA_STARTS:
        return "'" + value
    return value


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`inert_cell` applied to every cell and column name."""
    inert = frame.copy()
    inert.columns = [inert_cell(c) for c in inert.columns]
    for position, dtype in enumerate(inert.dtypes):
        if not pd.api.types.is_numeric_dtype(dtype):  # numbers cannot be formulas: skip the scan
            inert.isetitem(position, inert.iloc[:, position].map(inert_cell))
    return inert


def write_csv(frame: pd.DataFrame, path):
    """Write ``frame`` to ``path`` as UTF-8 CSV without its index, every cell inert.

    Lines end in CRLF (RFC 4180), so a cell holding a bare carriage return is quoted:
    with pandas' default ``\\n`` it was not, and the CR started a new row whose first
    cell was whatever followed it (``=1+1`` after ``"\\r"``).
    """
    inert_frame(frame).to_csv(path, index=False, encoding="utf-8", lineterminator="\r\n")
