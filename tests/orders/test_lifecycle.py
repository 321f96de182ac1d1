"""The order lifecycle: every (from, to) pair, who may make each move, and the reasons."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from app.auth.roles import Role
from app.errors import InvalidTransition, PermissionDenied, ValidationFailed
from catalog.services import NotOrderable
from members.models import MembershipStatus
from orders import services
from orders.models import OrderEvent
from orders.states import ALLOWED_TRANSITIONS, OrderStatus

from .conftest import FIXED_NOW, cart_with, reload, submitted_order

REASON = "Budget non voté"


@pytest.fixture
def admin(factories):
    return factories.user(Role.ADMIN, full_name="Anne Admin")


def order_in(status: OrderStatus, setup, product, admin):
    """Bring a new order of ``setup``'s buyer to ``status`` through the transition function."""
    order = cart_with(setup.buyer, setup.school, (product, "2"))
    if status == OrderStatus.DRAFT:
        return order
    if status == OrderStatus.CANCELLED:
        services.transition(order, OrderStatus.CANCELLED, setup.buyer)
        return order
    services.submit_order(order, setup.buyer, order.submission_token)
    if status == OrderStatus.APPROVED:
        services.transition(order, OrderStatus.APPROVED, setup.approver)
    elif status == OrderStatus.REJECTED:
        services.transition(order, OrderStatus.REJECTED, setup.approver, reason=REASON)
    assert order.status == status.value
    return order


def actor_for(source: OrderStatus, target: OrderStatus, setup, admin):
    """The user whose role lets them make the move, so only the table decides."""
    if target in (OrderStatus.APPROVED, OrderStatus.REJECTED):
        return setup.approver
    if target == OrderStatus.CANCELLED and source == OrderStatus.APPROVED:
        return admin
    return setup.buyer


PAIRS = list(itertools.product(OrderStatus, OrderStatus))


@pytest.mark.parametrize(
    ("source", "target"), PAIRS, ids=[f"{source.value}-to-{target.value}" for source, target in PAIRS]
)
def test_transition_table(source, target, setup_a, product, admin):
    order = order_in(source, setup_a, product, admin)
    actor = actor_for(source, target, setup_a, admin)
    events_before = len(order.events)
    number_before = order.number

    if target in ALLOWED_TRANSITIONS[source]:
        event = services.transition(order, target, actor, reason=REASON)

        order = reload(order)
        assert order.status == target.value
        assert len(order.events) == events_before + 1
        recorded = order.events[-1]
        assert recorded.id == event.id
        assert recorded.from_status == source.value
        assert recorded.to_status == target.value
        assert recorded.actor_id == actor.id
        assert recorded.reason == REASON
        assert recorded.created_at == FIXED_NOW
    else:
        with pytest.raises(InvalidTransition):
            services.transition(order, target, actor, reason=REASON)

        order = reload(order)
        assert order.status == source.value
        assert order.number == number_before
        assert len(order.events) == events_before


def test_submission_records_event_and_number(setup_a, product):
    order = submitted_order(setup_a.buyer, setup_a.school, (product, "3"))

    order = reload(order)
    assert order.number == "BC-2026-00001"
    assert order.submitted_by_id == setup_a.buyer.id
    assert order.submitted_at == FIXED_NOW
    assert [(e.from_status, e.to_status) for e in order.events] == [("draft", "submitted")]


def test_self_approval_refused(factories, make_member_setup, product):
    setup = make_member_setup()
    # An approver may place orders too; they still may not approve their own.
    order = submitted_order(setup.approver, setup.school, (product, "1"))

    with pytest.raises(PermissionDenied) as refused:
        services.transition(order, OrderStatus.APPROVED, setup.approver)

    assert "Vous avez passé cette commande" in str(refused.value)
    assert reload(order).status == OrderStatus.SUBMITTED.value
    other_approver = factories.user(Role.APPROVER, member=setup.member)
    services.transition(order, OrderStatus.APPROVED, other_approver)
    assert reload(order).status == OrderStatus.APPROVED.value


def test_reject_without_reason_refused(setup_a, product):
    order = submitted_order(setup_a.buyer, setup_a.school, (product, "1"))

    for blank in ("", "   "):
        with pytest.raises(ValidationFailed) as refused:
            services.transition(order, OrderStatus.REJECTED, setup_a.approver, reason=blank)
        assert refused.value.field == "reason"

    order = reload(order)
    assert order.status == OrderStatus.SUBMITTED.value
    assert order.decided_by_id is None
    assert len(order.events) == 1


def test_rejection_keeps_reason_and_decider(setup_a, product):
    order = submitted_order(setup_a.buyer, setup_a.school, (product, "1"))

    services.transition(order, OrderStatus.REJECTED, setup_a.approver, reason=REASON)

    order = reload(order)
    assert order.rejection_reason == REASON
    assert order.decided_by_id == setup_a.approver.id
    assert order.purchase_order_pdf is None


@pytest.mark.parametrize("role", [Role.CATALOG_MANAGER, Role.FINANCE, Role.ADMIN, Role.BUYER])
def test_only_member_approver_approves(role, factories, setup_a, product):
    order = submitted_order(setup_a.buyer, setup_a.school, (product, "1"))
    user = factories.user(role, member=setup_a.member if role == Role.BUYER else None)

    with pytest.raises(PermissionDenied):
        services.transition(order, OrderStatus.APPROVED, user)

    assert reload(order).status == OrderStatus.SUBMITTED.value


def test_approver_of_other_member_refused(setup_a, setup_b, product):
    order = submitted_order(setup_a.buyer, setup_a.school, (product, "1"))

    with pytest.raises(PermissionDenied):
        services.transition(order, OrderStatus.APPROVED, setup_b.approver)

    assert reload(order).status == OrderStatus.SUBMITTED.value


def test_buyer_cancels_own_orders_only(factories, setup_a, product, admin):
    other_buyer = factories.user(Role.BUYER, member=setup_a.member)
    order = submitted_order(setup_a.buyer, setup_a.school, (product, "1"))

    with pytest.raises(PermissionDenied):
        services.transition(order, OrderStatus.CANCELLED, other_buyer)
    services.transition(order, OrderStatus.CANCELLED, setup_a.buyer)

    assert reload(order).status == OrderStatus.CANCELLED.value


def test_approved_order_cancelled_by_admin_with_reason(setup_a, product, admin):
    order = order_in(OrderStatus.APPROVED, setup_a, product, admin)

    with pytest.raises(PermissionDenied):
        services.transition(order, OrderStatus.CANCELLED, setup_a.buyer, reason=REASON)
    with pytest.raises(ValidationFailed) as missing:
        services.transition(order, OrderStatus.CANCELLED, admin)
    assert missing.value.field == "reason"
    assert reload(order).status == OrderStatus.APPROVED.value

    services.transition(order, OrderStatus.CANCELLED, admin, reason="Marché résilié")

    order = reload(order)
    assert order.status == OrderStatus.CANCELLED.value
    assert order.events[-1].reason == "Marché résilié"
    assert order.events[-1].actor_id == admin.id


def test_admin_cannot_cancel_a_cart(setup_a, product, admin):
    order = cart_with(setup_a.buyer, setup_a.school, (product, "1"))

    with pytest.raises(PermissionDenied):
        services.transition(order, OrderStatus.CANCELLED, admin, reason=REASON)


def test_correction_after_rejection_keeps_number(setup_a, product, admin):
    order = order_in(OrderStatus.REJECTED, setup_a, product, admin)
    number, old_token = order.number, order.submission_token

    services.transition(order, OrderStatus.DRAFT, setup_a.buyer)
    assert order.rejection_reason == ""
    assert order.submission_token != old_token
    services.submit_order(order, setup_a.buyer, order.submission_token)

    order = reload(order)
    assert order.status == OrderStatus.SUBMITTED.value
    assert order.number == number
    assert [e.to_status for e in order.events] == ["submitted", "rejected", "draft", "submitted"]


def test_inactive_member_cannot_submit(make_member_setup, product):
    setup = make_member_setup(membership_status=MembershipStatus.SUSPENDED.value)
    order = cart_with(setup.buyer, setup.school, (product, "1"))

    with pytest.raises(ValidationFailed) as refused:
        services.submit_order(order, setup.buyer, order.submission_token)

    assert "Adhésion suspendue" in str(refused.value)
    order = reload(order)
    assert order.status == OrderStatus.DRAFT.value
    assert order.number is None


def test_empty_cart_cannot_submit(setup_a, product):
    order = cart_with(setup_a.buyer, setup_a.school, (product, "1"))
    services.remove_line(order, order.lines[0].id)

    with pytest.raises(ValidationFailed):
        services.submit_order(order, setup_a.buyer, order.submission_token)

    assert reload(order).number is None


def test_unorderable_line_blocks_submission(factories, setup_a, product):
    archived = factories.product(unit_price="5.00", name="Clavier retiré")
    order = cart_with(setup_a.buyer, setup_a.school, (product, "1"), (archived, "2"))
    archived.status = "archived"

    with pytest.raises(NotOrderable) as refused:
        services.submit_order(order, setup_a.buyer, order.submission_token)

    assert "Clavier retiré est archivé" in str(refused.value)
    order = reload(order)
    assert order.status == OrderStatus.DRAFT.value
    assert order.number is None
    assert order.net_amount == Decimal("0.00")


def test_events_count_matches_moves(setup_a, product, admin):
    order = order_in(OrderStatus.APPROVED, setup_a, product, admin)

    events = OrderEvent.query.filter_by(order_id=order.id).order_by(OrderEvent.id).all()

    assert [(e.from_status, e.to_status, e.actor_id) for e in events] == [
        ("draft", "submitted", setup_a.buyer.id),
        ("submitted", "approved", setup_a.approver.id),
    ]
