"""A member's earnings statement as CSV and PDF (fpdf2; no browser, no HTML-to-PDF)."""

import csv
import io
import itertools
from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from community.models import User
from core.spreadsheets import spreadsheet_cell
from payments.selectors import Earnings, money_state


def _rows(earnings: Earnings) -> Iterator[list[str]]:
    return (
        [
            timezone.localtime(payout.created_at).date().isoformat(),
            payout.challenge.title,
            payout.description,
            payout.get_kind_display(),
            f"{payout.amount:.2f}",
            payout.currency,
            money_state(payout).label,  # where it really is (a batch, the bank), not the bare status
            timezone.localtime(payout.paid_at).date().isoformat() if payout.paid_at else "",
        ]
        for payout in earnings.payouts
    )


def _header() -> list[str]:
    return [
        _("Date"),
        _("Challenge"),
        _("Description"),
        _("Kind"),
        _("Amount"),
        _("Currency"),
        _("Status"),
        _("Paid on"),
    ]


def statement_csv(earnings: Earnings) -> Iterator[str]:
    """The statement's lines, produced as the payouts are read (a streaming response sends them)."""
    out = io.StringIO()
    writer = csv.writer(out)
    rows: Iterator[list[object]] = itertools.chain(
        [list(_header())], ([spreadsheet_cell(cell) for cell in row] for row in _rows(earnings))
    )
    for row in rows:
        writer.writerow(row)
        yield out.getvalue()
        out.seek(0)
        out.truncate()


def _latin1(text: str) -> str:
    # The core PDF fonts cover Latin-1; other characters are replaced rather than lost silently.
    return text.encode("latin-1", "replace").decode("latin-1")


def statement_pdf(earnings: Earnings, *, user: User) -> bytes:
    pdf = FPDF(orientation="landscape")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, _latin1(_("Coachworks earnings statement")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(
        0,
        6,
        _latin1(f"{user.public_name} <{user.email}> · {timezone.localdate().isoformat()}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for total in earnings.totals:
        line = _("Paid: %(paid)s %(currency)s · Pending: %(pending)s %(currency)s") % {
            "paid": f"{total.paid:.2f}",
            "pending": f"{total.pending:.2f}",
            "currency": total.currency,
        }
        pdf.cell(0, 6, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (22, 60, 80, 20, 25, 15, 30, 22)
    pdf.set_font("Helvetica", "B", 9)
    for width, title in zip(widths, _header(), strict=True):
        pdf.cell(width, 7, _latin1(title), border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for row in _rows(earnings):
        for width, value in zip(widths, row, strict=True):
            pdf.cell(width, 6, _latin1(value)[: int(width / 1.7)], border=1)
        pdf.ln()
    return bytes(pdf.output())
