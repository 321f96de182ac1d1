"""Finance exports of issued documents: CSV for French Excel, XLSX, ZIP of PDFs, revenue orders.

Credit notes appear with negative amounts, so that a sum over the export gives the revenue.
Text cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a
carriage return) are prefixed with an apostrophe; numbers are written as numbers and keep
their sign.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.errors import ValidationFailed

from .documents import document_filename
from .models import Invoice

FORMATS = ("csv", "xlsx", "zip", "titres")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DEFAULT_REVENUE_ACCOUNT = "706"
REVENUE_ACCOUNT_VARIABLE = "INVOICING_REVENUE_ACCOUNT"

DOCUMENT_COLUMNS = (
    _l("Type"),
    _l("Number"),
    _l("Issue date"),
    _l("Due date"),
    _l("Member"),
    _l("SIREN"),
    _l("SIRET"),
    _l("Subject"),
    _l("Service code"),
    _l("Engagement number"),
    _l("Credited invoice"),
    _l("Net"),
    _l("VAT"),
    _l("Gross"),
    _l("Paid"),
    _l("Balance"),
    _l("Overpayment to refund"),
    _l("Status"),
)

REVENUE_ORDER_COLUMNS = (
    _l("Debtor"),
    _l("Debtor SIRET"),
    _l("Subject"),
    _l("Document type"),
    _l("Invoice number"),
    _l("Invoice date"),
    _l("VAT rate"),
    _l("Net"),
    _l("VAT"),
    _l("Gross"),
    _l("Service code"),
    _l("Engagement number"),
    _l("Budget imputation"),
)


def revenue_account() -> str:
    """Return the budget account for revenue orders: config, then environment, then 706.

    Raises ValidationFailed when the configured account is not made of digits.
    """
    account = current_app.config.get(REVENUE_ACCOUNT_VARIABLE) or os.environ.get(REVENUE_ACCOUNT_VARIABLE) or ""
    account = account.strip() or DEFAULT_REVENUE_ACCOUNT
    if not re.fullmatch(r"\d{2,10}", account):
        raise ValidationFailed(
            _l(
                "%(variable)s=%(value)s is invalid: set it to an account number of the M57 "
                "or M4 chart, such as 706.",
                variable=REVENUE_ACCOUNT_VARIABLE,
                value=account,
            )
        )
    return account


def _sign(invoice: Invoice) -> Decimal:
    return Decimal(-1) if invoice.is_credit_note else Decimal(1)


def neutralise(text: str) -> str:
    """Prefix text that a spreadsheet would read as a formula with an apostrophe."""
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _document_row(invoice: Invoice) -> list:
    sign = _sign(invoice)
    credited = invoice.credited_invoice
    return [
        invoice.kind_label,
        invoice.number,
        invoice.issue_date,
        invoice.due_date,
        invoice.buyer_name,
        invoice.buyer_siren,
        invoice.buyer_siret,
        invoice.subject,
        invoice.service_code,
        invoice.engagement_number,
        credited.number if credited else "",
        sign * invoice.net_amount,
        sign * invoice.vat_amount,
        sign * invoice.gross_amount,
        invoice.paid_amount,
        invoice.balance,
        invoice.refund_due,
        invoice.status_label,
    ]


def document_rows(invoices: Iterable[Invoice]) -> tuple[list[str], list[list]]:
    """Return the header and one row per document, with typed values (Decimal, date, str)."""
    with force_locale("fr"):
        header = [str(column) for column in DOCUMENT_COLUMNS]
        rows = [_document_row(invoice) for invoice in invoices]
    return header, rows


def revenue_order_rows(invoices: Iterable[Invoice]) -> tuple[list[str], list[list]]:
    """Return one row per document and VAT rate, with what a titre de recette needs."""
    account = revenue_account()
    rows = []
    with force_locale("fr"):
        header = [str(column) for column in REVENUE_ORDER_COLUMNS]
        for invoice in invoices:
            sign = _sign(invoice)
            document_type = str(_l("Credit note")) if invoice.is_credit_note else str(_l("Invoice"))
            for row in invoice.totals().breakdown:
                rows.append(
                    [
                        invoice.buyer_name,
                        invoice.buyer_siret,
                        invoice.subject,
                        document_type,
                        invoice.number,
                        invoice.issue_date,
                        row.vat_rate,
                        sign * row.base_amount,
                        sign * row.vat_amount,
                        sign * (row.base_amount + row.vat_amount),
                        invoice.service_code,
                        invoice.engagement_number,
                        account,
                    ]
                )
    return header, rows


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return neutralise(str(value))


def to_csv(header: list[str], rows: list[list]) -> bytes:
    """Write rows as French Excel reads them: ';' separated, UTF-8 with BOM, decimal comma."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(name) for name in header])
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(header: list[str], rows: list[list], sheet_title: str) -> bytes:
    """Write rows to an XLSX sheet with real numbers and dates."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append([neutralise(name) for name in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([neutralise(value) if isinstance(value, str) else value for value in row])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_zip(invoices: Iterable[Invoice]) -> bytes:
    """Pack the stored Factur-X PDFs, unchanged, into a ZIP archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for invoice in invoices:
            if invoice.pdf_data:
                archive.writestr(document_filename(invoice, "pdf"), invoice.pdf_data)
    return buffer.getvalue()


def export(invoices: list[Invoice], export_format: str) -> tuple[bytes, str, str]:
    """Build an export; return its bytes, its MIME type and its file extension."""
    if export_format == "csv":
        return to_csv(*document_rows(invoices)), "text/csv", "csv"
    if export_format == "xlsx":
        header, rows = document_rows(invoices)
        with force_locale("fr"):
            title = str(_l("Invoices"))
        return (
            to_xlsx(header, rows, title),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    if export_format == "zip":
        return to_zip(invoices), "application/zip", "zip"
    if export_format == "titres":
        return to_csv(*revenue_order_rows(invoices)), "text/csv", "csv"
    raise ValidationFailed(
        _l("Export format %(value)s is invalid: choose csv, xlsx, zip or titres.", value=export_format)
    )


def export_filename(export_format: str, date_from: date, date_to: date, extension: str) -> str:
    stem = "titres-de-recette" if export_format == "titres" else "factures"
    return f"{stem}-{date_from.isoformat()}-{date_to.isoformat()}.{extension}"
