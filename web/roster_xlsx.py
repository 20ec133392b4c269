"""The roster as an Excel workbook, from the rows enrolment's roster answers (confirmed, then waiting)."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell

from web.i18n import N_, gettext_in
from web.names import status_name

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = (("status", N_("Status")), ("waitlist_position", N_("Position")), ("name", N_("Name")),
           ("email", N_("Email")), ("institution", N_("Institution")), ("student_id", N_("User id")),
           ("enrolled_at", N_("Enrolled (UTC)")), ("confirmed_at", N_("Confirmed (UTC)")),
           ("offer_expires_at", N_("Offer expires (UTC)")),  # a seat offered from the line, held until then
           ("pool", N_("Reserved seat of")))  # the institution whose reserved seats it came from
TIMES = ("enrolled_at", "confirmed_at", "offer_expires_at")


def roster_workbook(rows: list[dict[str, Any]], locale: str) -> bytes:
    """One sheet, a header row in the reader's language, one row per student; times as UTC date cells.

    Every text is written as a string cell, never a formula: a name typed as "=HYPERLINK(…)" is shown as
    typed and never evaluated (DESIGN section 6, invariant 8)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext_in(locale, "Roster")
    sheet.append([gettext_in(locale, header) for _, header in COLUMNS])
    for number, row in enumerate(rows, start=2):
        for column, (name, _) in enumerate(COLUMNS, start=1):
            write_cell(sheet.cell(row=number, column=column), cell_value(name, row.get(name), locale))
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def cell_value(name: str, value: Any, locale: str) -> Any:
    if value is None:
        return None
    if name == "status":
        return status_name("enrolment", value, locale)
    if name in TIMES:  # Excel keeps no zone: the header says UTC
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc).replace(tzinfo=None)
    return value


def write_cell(cell: Cell, value: Any) -> None:
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl makes any text starting with "=" a formula; this keeps it text
    elif isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
