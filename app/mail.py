"""The outbox: e-mails written in the transaction of the event they report, sent later by a job.

``queue_email`` only adds rows, so an e-mail exists exactly when its event was committed. The
outbox job (``send_pending``) sends due rows through SMTP with the standard library. Each row is
claimed before it is sent (``UPDATE ... SET status='sending' WHERE id=... AND status='pending'``,
committed at once), so two senders never send the same row: the second one's UPDATE matches no
row. A failed send goes back to pending with an exponential backoff until MAX_ATTEMPTS.
"""

from __future__ import annotations

import enum
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db
from . import timeutils
from .timeutils import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .auth.models import User

logger = logging.getLogger(__name__)

# A failed e-mail is tried again 1, 2, 4... minutes later, at most 6 hours apart. After 8 failed
# attempts (about 4 hours in all) it is marked failed and stays on the admin outbox page.
MAX_ATTEMPTS = 8
FIRST_RETRY_DELAY = timedelta(minutes=1)
MAX_RETRY_DELAY = timedelta(hours=6)
# A row left in 'sending' this long belongs to a sender that died: it goes back to pending.
STALE_CLAIM_AFTER = timedelta(minutes=15)
SMTP_TIMEOUT_SECONDS = 30
BATCH_SIZE = 200
# E-mails are written in French, whatever the locale of the user whose action queued them.
MAIL_LOCALE = "fr"


class OutboxStatus(str, enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


OUTBOX_STATUS_LABELS = {
    OutboxStatus.PENDING: _l("Waiting to be sent"),
    OutboxStatus.SENDING: _l("Being sent"),
    OutboxStatus.SENT: _l("Sent"),
    OutboxStatus.FAILED: _l("Not sent after repeated failures"),
}


class OutboxEmail(db.Model):
    """One e-mail to one recipient, with its rendered bodies and its delivery state."""

    __tablename__ = "outbox_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The template name, for example order_submitted: what the e-mail is about.
    kind: Mapped[str] = mapped_column(String(40), index=True)
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.PENDING.value, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by reminders and announcements: a second e-mail with the same key is not queued.
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    user: Mapped[User | None] = relationship("User")
    attachments: Mapped[list[OutboxAttachment]] = relationship(
        back_populates="email", cascade="all, delete-orphan", order_by="OutboxAttachment.id"
    )

    @property
    def status_label(self) -> str:
        return str(OUTBOX_STATUS_LABELS[OutboxStatus(self.status)])


class OutboxAttachment(db.Model):
    """A file attached to an outbox e-mail (an invoice PDF, for example)."""

    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_id: Mapped[int] = mapped_column(ForeignKey("outbox_emails.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    mime_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)

    email: Mapped[OutboxEmail] = relationship(back_populates="attachments")


@dataclass(frozen=True)
class Attachment:
    filename: str
    mime_type: str
    data: bytes


# --- Writing e-mails ----------------------------------------------------------------------


def absolute_url(endpoint: str, **values) -> str:
    """Build an absolute link to ``endpoint`` on PUBLIC_BASE_URL, inside or outside a request."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def render_email(template: str, context: dict) -> tuple[str, str]:
    """Render ``mail/<template>.txt`` and ``mail/<template>.html`` in French."""
    values = {"centrale": current_app.config["CENTRALE_IDENTITY"], **context}
    with force_locale(MAIL_LOCALE):
        text_body = render_template(f"mail/{template}.txt", **values)
        html_body = render_template(f"mail/{template}.html", **values)
    return text_body, html_body


def _recipient_address(recipient: str | User) -> tuple[str, int | None]:
    if isinstance(recipient, str):
        return recipient.strip(), None
    return (recipient.email or "").strip(), recipient.id


def queue_email(
    recipients: Iterable[str | User],
    *,
    template: str,
    subject: str,
    context: dict,
    attachments: Iterable[Attachment] = (),
    dedup_key: str | None = None,
) -> list[OutboxEmail]:
    """Add one outbox row per recipient in the caller's transaction; nothing is sent here.

    Recipients are users or plain addresses; empty and repeated addresses are skipped. With a
    ``dedup_key``, a recipient that already has an e-mail with that key gets no second one.
    Returns the rows added.
    """
    attachments = list(attachments)
    text_body, html_body = render_email(template, context)
    queued: list[OutboxEmail] = []
    seen: set[str] = set()
    now = timeutils.utcnow()
    for recipient in recipients:
        address, user_id = _recipient_address(recipient)
        if not address or address.lower() in seen:
            continue
        seen.add(address.lower())
        key = f"{dedup_key}:{address.lower()}"[:200] if dedup_key else None
        if key and db.session.scalar(select(OutboxEmail.id).where(OutboxEmail.dedup_key == key)):
            continue
        email = OutboxEmail(
            kind=template,
            to_address=address,
            user_id=user_id,
            subject=str(subject)[:300],
            text_body=text_body,
            html_body=html_body,
            status=OutboxStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            dedup_key=key,
        )
        for attachment in attachments:
            email.attachments.append(
                OutboxAttachment(filename=attachment.filename, mime_type=attachment.mime_type, data=attachment.data)
            )
        db.session.add(email)
        queued.append(email)
    db.session.flush()
    for email in queued:
        logger.info("E-mail %s (%s) queued for %s", email.id, email.kind, email.to_address)
    return queued


# --- Sending ------------------------------------------------------------------------------


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.failed} failed, {self.skipped} skipped"


def retry_delay(attempts: int) -> timedelta:
    """Return the wait before the next attempt after ``attempts`` failures: 1, 2, 4... minutes."""
    return min(FIRST_RETRY_DELAY * (2 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)


def build_message(email: OutboxEmail) -> EmailMessage:
    """Build the MIME message: plain text, an HTML alternative, then the attachments."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    sender_domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = sender
    message["To"] = email.to_address
    message["Date"] = format_datetime(email.created_at)
    # A stable Message-ID per outbox row lets mail servers and tests recognise a repeat.
    message["Message-ID"] = f"<outbox-{email.id}.{int(email.created_at.timestamp())}@{sender_domain}>"
    message.set_content(email.text_body)
    message.add_alternative(email.html_body, subtype="html")
    for attachment in email.attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.filename
        )
    return message


class SmtpConnection:
    """One SMTP session opened on first use and reused for a batch of e-mails."""

    def __init__(self, config) -> None:
        self.config = config
        self.client: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        if self.client is None:
            self.client = smtplib.SMTP(
                self.config["MAIL_SERVER"], self.config["MAIL_PORT"], timeout=SMTP_TIMEOUT_SECONDS
            )
            if self.config["MAIL_USE_TLS"]:
                self.client.starttls()
            if self.config["MAIL_USERNAME"]:
                self.client.login(self.config["MAIL_USERNAME"], self.config["MAIL_PASSWORD"] or "")
        self.client.send_message(message)

    def close(self) -> None:
        if self.client is None:
            return
        try:
            self.client.quit()
        except (smtplib.SMTPException, OSError):
            self.client.close()
        self.client = None


def release_stale_claims(now: datetime) -> int:
    """Put back to pending the rows a dead sender left in 'sending'; returns how many.

    NOTE: a sender that died after the SMTP server accepted a message but before it recorded
    the success makes that message go out a second time: SMTP offers no way to ask.
    """
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.status == OutboxStatus.SENDING.value, OutboxEmail.claimed_at < now - STALE_CLAIM_AFTER)
        .values(status=OutboxStatus.PENDING.value, claimed_at=None)
    )
    db.session.commit()
    if result.rowcount:
        logger.warning("%s outbox e-mails left in 'sending' by a stopped sender put back to pending", result.rowcount)
    return result.rowcount


def claim(email_id: int, now: datetime) -> bool:
    """Mark one pending e-mail as being sent and commit; False when another sender has it."""
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == email_id, OutboxEmail.status == OutboxStatus.PENDING.value)
        .values(status=OutboxStatus.SENDING.value, claimed_at=now)
    )
    db.session.commit()
    return result.rowcount == 1


def _record_failure(email: OutboxEmail, error: Exception, now: datetime) -> None:
    email.attempts += 1
    email.last_error = f"{type(error).__name__}: {error}"[:2000]
    email.claimed_at = None
    if email.attempts >= MAX_ATTEMPTS:
        email.status = OutboxStatus.FAILED.value
        logger.error(
            "E-mail %s to %s failed %s times, giving up: %s", email.id, email.to_address, email.attempts, email.last_error
        )
    else:
        email.status = OutboxStatus.PENDING.value
        email.next_attempt_at = now + retry_delay(email.attempts)
        logger.warning(
            "E-mail %s to %s failed (attempt %s), retry at %s: %s",
            email.id,
            email.to_address,
            email.attempts,
            email.next_attempt_at.isoformat(),
            email.last_error,
        )
    db.session.commit()


def send_pending(now: datetime | None = None, limit: int = BATCH_SIZE) -> SendReport:
    """Send the due pending e-mails, each claimed first so that no e-mail is sent twice.

    Does nothing unless MAIL_DELIVERY is smtp. A refused message goes back to pending with a
    backoff. A connection failure also ends the batch, because the next rows would fail the same
    way. Commits after each e-mail.
    """
    report = SendReport()
    if current_app.config["MAIL_DELIVERY"] != "smtp":
        logger.info("MAIL_DELIVERY is %s: e-mails stay in the outbox", current_app.config["MAIL_DELIVERY"])
        return report
    now = now or timeutils.utcnow()
    release_stale_claims(now)
    due_ids = list(
        db.session.scalars(
            select(OutboxEmail.id)
            .where(OutboxEmail.status == OutboxStatus.PENDING.value, OutboxEmail.next_attempt_at <= now)
            .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
            .limit(limit)
        )
    )
    db.session.commit()
    connection = SmtpConnection(current_app.config)
    try:
        for email_id in due_ids:
            if not claim(email_id, now):
                report.skipped += 1
                continue
            email = db.session.get(OutboxEmail, email_id, populate_existing=True)
            try:
                connection.send(build_message(email))
            except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, OSError) as error:
                connection.close()
                _record_failure(email, error, now)
                report.failed += 1
                logger.warning("SMTP server %s unreachable: batch stopped", current_app.config["MAIL_SERVER"])
                break
            except smtplib.SMTPException as error:
                connection.close()
                _record_failure(email, error, now)
                report.failed += 1
                continue
            email.status = OutboxStatus.SENT.value
            email.sent_at = timeutils.utcnow()
            email.attempts += 1
            email.claimed_at = None
            email.last_error = ""
            db.session.commit()
            report.sent += 1
            logger.info("E-mail %s (%s) sent to %s", email.id, email.kind, email.to_address)
    finally:
        connection.close()
    logger.info("Outbox batch: %s", report)
    return report


# --- Reading ------------------------------------------------------------------------------


def emails_for_user(user: User, limit: int = 200) -> list[OutboxEmail]:
    """Return the e-mails addressed to ``user`` (by account or by address), newest first."""
    return list(
        db.session.scalars(
            select(OutboxEmail)
            .where((OutboxEmail.user_id == user.id) | (OutboxEmail.to_address == user.email))
            .order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
            .limit(limit)
        )
    )


def recent_emails(limit: int = 200, status: str | None = None) -> list[OutboxEmail]:
    """Return the latest outbox e-mails, newest first, optionally of one status."""
    query = select(OutboxEmail).order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxEmail.status == OutboxStatus(status).value)
    return list(db.session.scalars(query))
