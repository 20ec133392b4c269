"""The roster as a spreadsheet opens it: UTF-8 with a byte-order mark, and no cell a formula.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a line break is taken by Excel, LibreOffice and
Google Sheets for a formula (or DDE command); OWASP's advice is to prefix such a cell with a single quote
and quote every cell, so it shows as the text that was typed.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Iterable, Mapping

# offer_expires_at: until when a seat offered from the waiting list is held (empty unless `offered`, or
# `expired` in a roster with the cancelled); pool: the institution whose reserved seats the seat came from.
# New columns go last: a sheet reading the columns by position keeps working.
COLUMNS = ("status", "waitlist_position", "student_id", "name", "email", "institution", "enrolled_at",
           "confirmed_at", "offer_expires_at", "pool")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and fullwidth
BYTE_ORDER_MARK = "\ufeff"  # without it Excel reads UTF-8 as a legacy code page: Cyrillic names garbled
_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def neutralised(value) -> str:
    """A cell's text that no spreadsheet runs."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def roster_csv(rows: Iterable[Mapping]) -> str:
    """Write roster entries (as RosterEntrySchema dumps them) with one header row."""
    buffer = io.StringIO()
    buffer.write(BYTE_ORDER_MARK)
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([neutralised(row.get(column)) for column in COLUMNS] for row in rows)
    return buffer.getvalue()


def roster_file_name(course_code: str, term: str) -> str:
    """`roster-HEL-510-2027-spring.csv`: what a coordinator recognises among their downloads."""
    return _UNSAFE_IN_FILE_NAME.sub("_", f"roster-{course_code}-{term}") + ".csv"
