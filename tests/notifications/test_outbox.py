"""The outbox: rows written in the caller's transaction, sent by the job, kept when SMTP refuses."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.mail import (
    MAX_ATTEMPTS,
    STALE_CLAIM_AFTER,
    Attachment,
    OutboxEmail,
    OutboxStatus,
    claim,
    queue_email,
    retry_delay,
    send_pending,
)

from .conftest import FIXED_NOW, body_html, body_text


def queue_test_email(recipients=("buyer@commune.test",), **overrides):
    values = {
        "template": "order_rejected",
        "subject": "Commande BC-2026-00001 refusée",
        "context": {
            "order": type("O", (), {"number": "BC-2026-00001"})(),
            "school": type("S", (), {"name": "École du Bourg"})(),
            "approver": None,
            "reason": "Budget épuisé",
            "link": "http://127.0.0.1:5000/orders/1",
        },
    }
    values.update(overrides)
    return queue_email(list(recipients), **values)


def reload(email: OutboxEmail) -> OutboxEmail:
    db.session.expire_all()
    return db.session.get(OutboxEmail, email.id)


def test_queue_adds_rows_and_sends_nothing(smtp_server, fixed_clock):
    emails = queue_test_email(["a@commune.test", "b@commune.test", "A@commune.test", ""])

    assert [email.to_address for email in emails] == ["a@commune.test", "b@commune.test"]
    assert all(email.status == OutboxStatus.PENDING.value for email in emails)
    assert all(email.next_attempt_at == FIXED_NOW for email in emails)
    assert smtp_server.messages == []


def test_send_delivers_subject_recipient_and_bodies(smtp_server, fixed_clock):
    [email] = queue_test_email()

    report = send_pending(now=FIXED_NOW)

    assert (report.sent, report.failed) == (1, 0)
    [message] = smtp_server.messages
    assert message["To"] == "buyer@commune.test"
    assert message.envelope_recipients == ["buyer@commune.test"]
    assert message["Subject"] == "Commande BC-2026-00001 refusée"
    assert message["From"] == "Manche Numérique <centrale@demo.centrale.test>"
    assert message["Message-ID"].startswith(f"<outbox-{email.id}.")
    assert "Budget épuisé" in body_text(message)
    assert "http://127.0.0.1:5000/orders/1" in body_text(message)
    assert "Manche Numérique" in body_text(message)
    assert 'href="http://127.0.0.1:5000/orders/1"' in body_html(message)
    sent = reload(email)
    assert sent.status == OutboxStatus.SENT.value
    assert sent.sent_at == FIXED_NOW
    assert sent.attempts == 1


def test_attachment_is_sent(smtp_server, fixed_clock):
    queue_test_email(attachments=[Attachment("facture-FA-2026-00001.pdf", "application/pdf", b"%PDF-1.7 test")])

    send_pending(now=FIXED_NOW)

    [message] = smtp_server.messages
    [part] = list(message.iter_attachments())
    assert part.get_filename() == "facture-FA-2026-00001.pdf"
    assert part.get_content_type() == "application/pdf"
    assert part.get_content() == b"%PDF-1.7 test"


def test_refusal_451_keeps_then_sends_once(smtp_server, fixed_clock):
    [email] = queue_test_email()
    smtp_server.refuse("451 4.3.0 Try again later")

    report = send_pending(now=FIXED_NOW)

    assert (report.sent, report.failed) == (0, 1)
    kept = reload(email)
    assert kept.status == OutboxStatus.PENDING.value
    assert kept.attempts == 1
    assert "451" in kept.last_error
    assert kept.next_attempt_at == FIXED_NOW + timedelta(minutes=1)
    assert smtp_server.messages == []

    smtp_server.refuse(None)
    assert send_pending(now=FIXED_NOW + timedelta(seconds=30)).sent == 0  # not due yet
    assert send_pending(now=FIXED_NOW + timedelta(minutes=1)).sent == 1
    assert send_pending(now=FIXED_NOW + timedelta(minutes=5)).sent == 0

    assert len(smtp_server.messages) == 1
    assert smtp_server.handler.refused == 1
    sent = reload(email)
    assert sent.status == OutboxStatus.SENT.value
    assert sent.attempts == 2


def test_refusal_550_retried_with_backoff(smtp_server, fixed_clock):
    [email] = queue_test_email()
    smtp_server.refuse("550 5.1.1 Mailbox unavailable")

    send_pending(now=FIXED_NOW)
    send_pending(now=FIXED_NOW + timedelta(minutes=1))

    kept = reload(email)
    assert kept.attempts == 2
    assert "550" in kept.last_error
    assert kept.next_attempt_at == FIXED_NOW + timedelta(minutes=1) + timedelta(minutes=2)

    smtp_server.refuse(None)
    send_pending(now=FIXED_NOW + timedelta(minutes=3))
    assert [message["To"] for message in smtp_server.messages] == ["buyer@commune.test"]


def test_stopped_server_keeps_every_email(smtp_server, fixed_clock):
    emails = queue_test_email(["a@commune.test", "b@commune.test", "c@commune.test"])
    smtp_server.stop()

    report = send_pending(now=FIXED_NOW)

    # The first failure stops the batch: the other e-mails keep their attempts for later.
    assert (report.sent, report.failed) == (0, 1)
    assert [reload(email).attempts for email in emails] == [1, 0, 0]
    assert all(reload(email).status == OutboxStatus.PENDING.value for email in emails)

    smtp_server.start()
    report = send_pending(now=FIXED_NOW + timedelta(minutes=1))

    assert report.sent == 3
    assert sorted(message["To"] for message in smtp_server.messages) == [
        "a@commune.test",
        "b@commune.test",
        "c@commune.test",
    ]


def test_gives_up_after_max_attempts(smtp_server, fixed_clock):
    [email] = queue_test_email()
    smtp_server.refuse("451 4.3.0 Try again later")
    now = FIXED_NOW
    for _ in range(MAX_ATTEMPTS):
        send_pending(now=now)
        now = reload(email).next_attempt_at

    failed = reload(email)
    assert failed.status == OutboxStatus.FAILED.value
    assert failed.attempts == MAX_ATTEMPTS
    assert send_pending(now=now + timedelta(days=1)).failed == 0


def test_retry_delay_doubles_up_to_six_hours():
    assert [retry_delay(attempts) for attempts in (1, 2, 3, 4)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
    ]
    assert retry_delay(20) == timedelta(hours=6)


def test_claim_is_taken_once(fixed_clock):
    [email] = queue_test_email()

    assert claim(email.id, FIXED_NOW) is True
    assert claim(email.id, FIXED_NOW) is False
    assert reload(email).status == OutboxStatus.SENDING.value


def test_claimed_email_not_sent_by_another_sender(smtp_server, fixed_clock):
    [email] = queue_test_email()
    claim(email.id, FIXED_NOW)

    report = send_pending(now=FIXED_NOW)

    assert report.sent == 0
    assert smtp_server.messages == []


def test_stale_claim_released_and_sent(smtp_server, fixed_clock):
    [email] = queue_test_email()
    claim(email.id, FIXED_NOW)

    send_pending(now=FIXED_NOW + STALE_CLAIM_AFTER + timedelta(seconds=1))

    assert len(smtp_server.messages) == 1
    assert reload(email).status == OutboxStatus.SENT.value


def test_outbox_delivery_sends_nothing(smtp_server, fixed_clock, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "outbox")
    [email] = queue_test_email()

    report = send_pending(now=FIXED_NOW)

    assert report.sent == 0
    assert smtp_server.messages == []
    assert reload(email).status == OutboxStatus.PENDING.value


def test_dedup_key_queues_once(fixed_clock):
    first = queue_test_email(dedup_key="reminder:1")
    second = queue_test_email(dedup_key="reminder:1")

    assert len(first) == 1
    assert second == []
    assert first[0].dedup_key == "reminder:1:buyer@commune.test"
