"""Order e-mails and approval rules: submitted, second approval, approved, rejected, reminders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.errors import PermissionDenied
from app.mail import send_pending
from orders import approval, services
from orders.states import OrderStatus

from .conftest import FIXED_NOW, body_html, body_text, outbox_rows, submitted_order


@pytest.fixture
def product(factories):
    return factories.product(unit_price="100.00", name="Tablette test", vat_rate=Decimal("20.00"))


def test_submission_emails_the_approvers(smtp_server, member_setup, product):
    order = submitted_order(member_setup.buyer, member_setup.school, product, "3")

    send_pending(now=FIXED_NOW)

    messages = sorted(smtp_server.messages, key=lambda message: message["To"])
    assert [message["To"] for message in messages] == ["valerie@saint-lo.test", "victor@saint-lo.test"]
    message = messages[0]
    assert message["Subject"] == f"Commande {order.number} à approuver : École du Bourg"
    text = body_text(message)
    assert f"La commande {order.number} pour École du Bourg, passée par Alice Acheteuse, attend votre approbation." in text
    assert "360,00 €" in text
    assert f"http://127.0.0.1:5000/orders/{order.id}" in text
    assert f'href="http://127.0.0.1:5000/orders/{order.id}"' in body_html(message)


def test_approval_emails_the_buyer(smtp_server, member_setup, product):
    order = submitted_order(member_setup.buyer, member_setup.school, product, "1")

    services.transition(order, OrderStatus.APPROVED, member_setup.approver)
    send_pending(now=FIXED_NOW)

    [message] = [message for message in smtp_server.messages if message["To"] == "alice@saint-lo.test"]
    assert message["Subject"] == f"Commande {order.number} approuvée"
    assert "approuvée par Victor Valideur" in body_text(message)


def test_rejection_emails_the_reason(smtp_server, member_setup, product):
    order = submitted_order(member_setup.buyer, member_setup.school, product, "1")

    services.transition(order, OrderStatus.REJECTED, member_setup.approver, reason="Crédits non votés avant juin")
    send_pending(now=FIXED_NOW)

    [message] = [message for message in smtp_server.messages if message["To"] == "alice@saint-lo.test"]
    assert message["Subject"] == f"Commande {order.number} refusée"
    text = body_text(message)
    assert "refusée par Victor Valideur" in text
    assert "Motif : Crédits non votés avant juin" in text


def test_rolled_back_submission_leaves_no_email(member_setup, product, app):
    from app.extensions import db

    services.add_to_cart(member_setup.buyer, member_setup.school, product, Decimal("1"), FIXED_NOW.date())
    order = services.find_cart(member_setup.buyer, member_setup.school)
    savepoint = db.session.begin_nested()
    services.submit_order(order, member_setup.buyer, order.submission_token)
    assert len(outbox_rows("order_submitted")) == 2
    savepoint.rollback()

    assert outbox_rows("order_submitted") == []


# --- Approval rules -------------------------------------------------------------------------


def set_threshold(member_setup, amount: str | None, reminder_days: int = 3):
    return approval.save_rule(
        member_setup.member,
        member_setup.approver,
        second_approval_above=approval.parse_threshold(amount),
        reminder_days=reminder_days,
    )


def test_self_approval_refused(member_setup, product):
    # An approver who places an order cannot approve it.
    order = submitted_order(member_setup.approver, member_setup.school, product, "1")

    with pytest.raises(PermissionDenied, match="Vous avez passé cette commande"):
        services.transition(order, OrderStatus.APPROVED, member_setup.approver)
    assert order.status == OrderStatus.SUBMITTED.value
    assert OrderStatus.APPROVED not in services.available_transitions(order, member_setup.approver)
    assert member_setup.approver not in approval.eligible_approvers(order)


def test_below_threshold_one_approval(member_setup, product):
    set_threshold(member_setup, "1 000,00")
    order = submitted_order(member_setup.buyer, member_setup.school, product, "8")  # 960,00 € TTC

    services.transition(order, OrderStatus.APPROVED, member_setup.approver)

    assert order.status == OrderStatus.APPROVED.value


def test_above_threshold_needs_second_approver(smtp_server, member_setup, product):
    set_threshold(member_setup, "1 000,00")
    order = submitted_order(member_setup.buyer, member_setup.school, product, "9")  # 1 080,00 € TTC
    assert order.gross_amount == Decimal("1080.00")

    event = services.transition(order, OrderStatus.APPROVED, member_setup.approver)

    assert order.status == OrderStatus.SUBMITTED.value
    assert (event.from_status, event.to_status) == ("submitted", "submitted")
    assert [row.approver_id for row in approval.approvals_of(order)] == [member_setup.approver.id]
    with pytest.raises(PermissionDenied, match="Vous avez déjà approuvé cette commande"):
        services.transition(order, OrderStatus.APPROVED, member_setup.approver)
    assert OrderStatus.APPROVED not in services.available_transitions(order, member_setup.approver)
    [second_request] = outbox_rows("order_second_approval")
    assert second_request.to_address == "valerie@saint-lo.test"

    services.transition(order, OrderStatus.APPROVED, member_setup.second_approver)

    assert order.status == OrderStatus.APPROVED.value
    assert order.decided_by_id == member_setup.second_approver.id
    assert [row.approver_id for row in approval.approvals_of(order)] == [
        member_setup.approver.id,
        member_setup.second_approver.id,
    ]


def test_resubmission_forgets_first_approval(member_setup, product):
    set_threshold(member_setup, "100")
    order = submitted_order(member_setup.buyer, member_setup.school, product, "2")
    services.transition(order, OrderStatus.APPROVED, member_setup.approver)
    services.transition(order, OrderStatus.REJECTED, member_setup.second_approver, reason="Quantité à revoir")
    services.transition(order, OrderStatus.DRAFT, member_setup.buyer)

    services.submit_order(order, member_setup.buyer, order.submission_token)

    assert approval.approvals_of(order) == []


@pytest.mark.parametrize(
    "text, expected",
    [("5 000,00", Decimal("5000.00")), ("1234.5", Decimal("1234.5")), ("", None), ("0", Decimal("0"))],
)
def test_threshold_parsing(text, expected):
    assert approval.parse_threshold(text) == expected


@pytest.mark.parametrize("text", ["cinq mille", "-10", "12,345"])
def test_threshold_rejects_invalid(text):
    from app.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as error:
        approval.parse_threshold(text)
    assert error.value.field == "second_approval_above"


def test_only_member_approver_sets_rule(member_setup, factories):
    from app.auth.roles import Role

    other_approver = factories.user(Role.APPROVER)

    with pytest.raises(PermissionDenied):
        approval.save_rule(member_setup.member, member_setup.buyer, second_approval_above=None, reminder_days=3)
    with pytest.raises(PermissionDenied):
        approval.save_rule(member_setup.member, other_approver, second_approval_above=None, reminder_days=3)


# --- Reminders ------------------------------------------------------------------------------


def test_reminder_after_member_delay_once(member_setup, product, monkeypatch):
    set_threshold(member_setup, None, reminder_days=4)
    order = submitted_order(member_setup.buyer, member_setup.school, product, "1")

    assert approval.remind_pending_approvals(FIXED_NOW + timedelta(days=3)) == "0 orders reminded"
    assert approval.remind_pending_approvals(FIXED_NOW + timedelta(days=4)) == "1 orders reminded"
    assert approval.remind_pending_approvals(FIXED_NOW + timedelta(days=5)) == "0 orders reminded"
    assert approval.remind_pending_approvals(FIXED_NOW + timedelta(days=8)) == "1 orders reminded"

    reminders = outbox_rows("approval_reminder")
    assert sorted(row.to_address for row in reminders) == [
        "valerie@saint-lo.test",
        "valerie@saint-lo.test",
        "victor@saint-lo.test",
        "victor@saint-lo.test",
    ]
    assert reminders[0].subject == f"Rappel : la commande {order.number} attend une approbation depuis 4 jours"


def test_reminder_default_three_days(member_setup, product):
    submitted_order(member_setup.buyer, member_setup.school, product, "1")

    assert approval.remind_pending_approvals(FIXED_NOW + timedelta(days=2)) == "0 orders reminded"
    assert approval.remind_pending_approvals(FIXED_NOW + timedelta(days=3)) == "1 orders reminded"
