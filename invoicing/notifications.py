"""E-mails of the invoicing domain: a document issued and an overdue invoice, PDF attached.

They go to the member's finance contact (Member.finance_email); a member without one gets them
at its approvers' addresses, so that no invoice goes unannounced.
"""

from __future__ import annotations

import logging
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from flask import current_app

from app.auth.models import User
from app.auth.roles import Role
from app.mail import MAIL_LOCALE, Attachment, OutboxEmail, absolute_url, queue_email
from orders.approval import active_member_users

from .documents import document_filename
from .models import Invoice

logger = logging.getLogger(__name__)

# An overdue invoice is reminded on its first day overdue, then every this many days.
OVERDUE_REMINDER_INTERVAL_DAYS = 15


def finance_recipients(invoice: Invoice) -> list[str | User]:
    """Return the member's finance e-mail, or its active approvers when it has none."""
    member = invoice.member
    if member.finance_email:
        return [member.finance_email]
    approvers = active_member_users(member.id, Role.APPROVER)
    logger.warning(
        "Member %s has no finance e-mail: %s %s sent to its %s approvers",
        member.id,
        invoice.kind,
        invoice.number,
        len(approvers),
    )
    return approvers


def _pdf_attachment(invoice: Invoice) -> list[Attachment]:
    if not invoice.pdf_data:
        return []
    return [Attachment(document_filename(invoice, "pdf"), "application/pdf", invoice.pdf_data)]


def _context(invoice: Invoice) -> dict:
    return {
        "invoice": invoice,
        "member": invoice.member,
        "link": absolute_url("invoicing.invoice_detail", invoice_id=invoice.id),
    }


def notify_document_issued(invoice: Invoice) -> list[OutboxEmail]:
    """Queue the issued invoice or credit note, its Factur-X PDF attached, for the member's finance contact."""
    with force_locale(MAIL_LOCALE):
        if invoice.is_credit_note:
            subject = _("Credit note %(number)s from %(centrale)s", number=invoice.number, centrale=_centrale_name())
        else:
            subject = _("Invoice %(number)s from %(centrale)s", number=invoice.number, centrale=_centrale_name())
    return queue_email(
        finance_recipients(invoice),
        template="credit_note_issued" if invoice.is_credit_note else "invoice_issued",
        subject=subject,
        context=_context(invoice),
        attachments=_pdf_attachment(invoice),
    )


def notify_overdue(invoice: Invoice, today: date) -> list[OutboxEmail]:
    """Remind the member's finance contact of an overdue invoice; once per reminder interval."""
    days_overdue = (today - invoice.due_date).days
    step = (days_overdue - 1) // OVERDUE_REMINDER_INTERVAL_DAYS
    with force_locale(MAIL_LOCALE):
        subject = _(
            "Reminder: invoice %(number)s was due on %(day)s", number=invoice.number, day=invoice.due_date.strftime("%d/%m/%Y")
        )
    return queue_email(
        finance_recipients(invoice),
        template="invoice_overdue",
        subject=subject,
        context={**_context(invoice), "days_overdue": days_overdue},
        attachments=_pdf_attachment(invoice),
        dedup_key=f"invoice_overdue:{invoice.id}:{step}",
    )


def _centrale_name() -> str:
    return current_app.config["CENTRALE_IDENTITY"].name
