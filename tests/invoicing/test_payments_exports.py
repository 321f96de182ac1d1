"""Payments, overdue invoices and finance exports read back with csv and openpyxl."""

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.errors import ValidationFailed
from invoicing import exports, payments, services


def issue(invoicing_data, finance_user, lines=(("20.00", "3", "12.50"),), issue_date=date(2026, 3, 10), **member_fields):
    member = invoicing_data.member(**member_fields)
    order = invoicing_data.approved_order(member, lines=lines)
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    return services.issue_invoice(draft, finance_user, issue_date=issue_date)


def test_partial_then_full_payment(invoicing_data, finance_user):
    invoice = issue(invoicing_data, finance_user)  # 45.00 gross

    payments.record_payment(invoice, paid_on=date(2026, 3, 20), amount=Decimal("20.50"), reference="M-1", actor=finance_user)
    assert (invoice.status, invoice.balance) == ("partly_paid", Decimal("24.50"))

    with pytest.raises(ValidationFailed):
        payments.record_payment(invoice, paid_on=date(2026, 3, 21), amount=Decimal("30"), reference="", actor=finance_user)

    payments.record_payment(invoice, paid_on=date(2026, 3, 22), amount=Decimal("24.50"), reference="M-2", actor=finance_user)
    assert (invoice.status, invoice.balance) == ("paid", Decimal("0.00"))


def test_overdue_list(invoicing_data, finance_user):
    late = issue(invoicing_data, finance_user, issue_date=date(2026, 1, 5))
    issue(invoicing_data, finance_user, issue_date=date(2026, 3, 1))

    assert payments.overdue_invoices(date(2026, 3, 10)) == [late]
    assert late.due_date == date(2026, 2, 4)


def test_payment_csv_import(invoicing_data, finance_user):
    first = issue(invoicing_data, finance_user)
    second = issue(invoicing_data, finance_user)
    content = (
        "facture;date;montant;reference\n"
        f"{first.number};20/03/2026;45,00;MANDAT-12\n"
        f"{second.number};21/03/2026;10,5;VIR-7\n"
    ).encode("utf-8-sig")

    parsed = payments.parse_payment_csv(content)
    assert not parsed.has_errors
    assert parsed.total_amount == Decimal("55.50")
    payments.import_payments(parsed, finance_user)

    assert first.status == "paid"
    assert second.balance == Decimal("34.50")
    assert second.payments[0].reference == "VIR-7"


def test_payment_csv_errors_name_lines(invoicing_data, finance_user):
    invoice = issue(invoicing_data, finance_user)
    content = (
        "facture;date;montant;reference\n"
        f"{invoice.number};31/02/2026;10,00;A\n"
        "FA-2099-99999;01/03/2026;10,00;B\n"
        f"{invoice.number};01/03/2026;-3;C\n"
        f"{invoice.number};01/03/2026;46,00;D\n"
    ).encode()

    parsed = payments.parse_payment_csv(content)

    errors = [error for row in parsed.rows for error in row.errors]
    assert errors[0].startswith("Line 2") or errors[0].startswith("Ligne 2")
    assert [row.line_number for row in parsed.rows if row.errors] == [2, 3, 4, 5]
    with pytest.raises(ValidationFailed):
        payments.import_payments(parsed, finance_user)
    assert invoice.payments == []


def test_csv_export_numbers_and_neutralised_text(invoicing_data, finance_user):
    invoice = issue(invoicing_data, finance_user, name="=HYPERLINK(\"http://x\")")
    services.issue_invoice(services.create_credit_note(invoice, finance_user), finance_user, issue_date=date(2026, 3, 12))
    documents = services.issued_documents(date(2026, 3, 1), date(2026, 3, 31))

    data, _mimetype, _extension = exports.export(documents, "csv")

    assert data.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    header, invoice_row, credit_row = rows
    gross = header.index("TTC")
    assert invoice_row[header.index("Numéro")] == "FA-2026-00001"
    assert invoice_row[gross] == "45,00"
    assert credit_row[gross] == "-45,00"
    assert credit_row[header.index("HT")] == "-37,50"
    assert invoice_row[header.index("Adhérent")] == "'=HYPERLINK(\"http://x\")"


@pytest.mark.parametrize("text", ["=1+1", "+33", "-2", "@SUM(A1)"])
def test_neutralise_formula_prefixes(text):
    assert exports.neutralise(text) == "'" + text
    assert exports._csv_cell(Decimal("-12.50")) == "-12,50"


def test_xlsx_export_real_numbers(invoicing_data, finance_user):
    invoice = issue(invoicing_data, finance_user, lines=(("20.00", "3", "12.50"), ("5.50", "2", "5.50")))
    services.issue_invoice(services.create_credit_note(invoice, finance_user), finance_user, issue_date=date(2026, 3, 12))
    documents = services.issued_documents(date(2026, 3, 1), date(2026, 3, 31))

    data, _mimetype, _extension = exports.export(documents, "xlsx")

    sheet = load_workbook(io.BytesIO(data)).active
    header = [cell.value for cell in sheet[1]]
    gross = header.index("TTC") + 1
    assert sheet.cell(row=2, column=gross).value == pytest.approx(56.61)
    assert sheet.cell(row=3, column=gross).value == pytest.approx(-56.61)
    assert isinstance(sheet.cell(row=2, column=gross).value, (int, float))
    assert sheet.cell(row=2, column=header.index("Date d'émission") + 1).value.date() == date(2026, 3, 10)


def test_zip_and_revenue_order_exports(invoicing_data, finance_user):
    invoice = issue(invoicing_data, finance_user, lines=(("20.00", "3", "12.50"), ("0", "1", "300.00")))
    documents = services.issued_documents(date(2026, 3, 1), date(2026, 3, 31))

    archive = zipfile.ZipFile(io.BytesIO(exports.export(documents, "zip")[0]))
    assert archive.namelist() == ["facture-FA-2026-00001.pdf"]
    assert archive.read("facture-FA-2026-00001.pdf") == invoice.pdf_data

    rows = list(csv.reader(io.StringIO(exports.export(documents, "titres")[0].decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    by_rate = {row[header.index("Taux de TVA")]: row for row in rows[1:]}
    assert by_rate["20,00"][header.index("HT")] == "37,50"
    assert by_rate["20,00"][header.index("TVA")] == "7,50"
    assert by_rate["20,00"][header.index("TTC")] == "45,00"
    assert by_rate["0,00"][header.index("HT")] == "300,00"
    assert by_rate["20,00"][header.index("SIRET du débiteur")] == invoice.buyer_siret
    assert by_rate["20,00"][header.index("Imputation budgétaire")] == "706"
