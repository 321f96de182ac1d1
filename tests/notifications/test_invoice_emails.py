"""Invoicing e-mails: an issued invoice or credit note with its PDF, and overdue reminders."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone

from pypdf import PdfReader

from app.auth.roles import Role
from app.mail import send_pending
from invoicing import services
from invoicing.jobs import remind_overdue_invoices

# The invoicing suite's fixtures: approved orders with frozen lines, and a finance user.
from ..invoicing.conftest import finance_user, invoicing_data  # noqa: F401
from .conftest import FIXED_NOW, body_text, outbox_rows


def issued_invoice(invoicing_data, finance_user, member):
    order = invoicing_data.approved_order(member)
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    return services.issue_invoice(draft, finance_user, issue_date=date(2026, 3, 10))


def test_issued_invoice_emailed_with_pdf(smtp_server, fixed_clock, invoicing_data, finance_user):
    member = invoicing_data.member(finance_email="compta@coutances.test", name="Commune de Coutances test")

    invoice = issued_invoice(invoicing_data, finance_user, member)
    send_pending(now=FIXED_NOW)

    [message] = smtp_server.messages
    assert message["To"] == "compta@coutances.test"
    assert message["Subject"] == f"Facture {invoice.number} de Manche Numérique"
    text = body_text(message)
    assert f"la facture {invoice.number} adressée à Commune de Coutances test" in text
    assert "45,00 € TTC, à régler avant le 09/04/2026" in text
    assert f"http://127.0.0.1:5000/invoices/{invoice.id}" in text
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"facture-{invoice.number}.pdf"
    assert attachment.get_content() == invoice.pdf_data
    pdf_text = PdfReader(io.BytesIO(attachment.get_content())).pages[0].extract_text()
    assert invoice.number in pdf_text


def test_credit_note_emailed(smtp_server, fixed_clock, invoicing_data, finance_user):
    member = invoicing_data.member(finance_email="compta@coutances.test")
    invoice = issued_invoice(invoicing_data, finance_user, member)
    credit_note = services.create_credit_note(invoice, finance_user)
    services.issue_invoice(credit_note, finance_user, issue_date=date(2026, 3, 12))

    send_pending(now=FIXED_NOW)

    message = next(message for message in smtp_server.messages if message["Subject"].startswith("Avoir"))
    assert message["Subject"] == f"Avoir {credit_note.number} de Manche Numérique"
    assert f"sur la facture {invoice.number}" in body_text(message)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"avoir-{credit_note.number}.pdf"


def test_member_without_finance_email_uses_approvers(fixed_clock, invoicing_data, finance_user, factories):
    member = invoicing_data.member(finance_email="")
    factories.user(Role.APPROVER, member=member, email="maire@sans-compta.test")

    issued_invoice(invoicing_data, finance_user, member)

    assert [row.to_address for row in outbox_rows("invoice_issued")] == ["maire@sans-compta.test"]


def test_overdue_reminder_once_per_interval(fixed_clock, invoicing_data, finance_user):
    member = invoicing_data.member(finance_email="compta@coutances.test")
    invoice = issued_invoice(invoicing_data, finance_user, member)  # due on 9 April 2026

    def run(day):
        return remind_overdue_invoices(datetime(day.year, day.month, day.day, 4, 0, tzinfo=timezone.utc))

    assert run(date(2026, 4, 9)) == "0 overdue invoices, 0 reminders queued"
    assert run(date(2026, 4, 10)) == "1 overdue invoices, 1 reminders queued"
    assert run(date(2026, 4, 11)) == "1 overdue invoices, 0 reminders queued"
    assert run(date(2026, 4, 25)) == "1 overdue invoices, 1 reminders queued"

    [first, second] = outbox_rows("invoice_overdue")
    assert first.subject == f"Rappel : la facture {invoice.number} était à régler le 09/04/2026"
    assert "il y a 1 jour," in first.text_body.replace("\u00a0", " ")
    assert "45,00 €" in first.text_body.replace("\u00a0", " ").replace("\u202f", " ")
    assert [attachment.filename for attachment in second.attachments] == [f"facture-{invoice.number}.pdf"]
