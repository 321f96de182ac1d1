"""Two-approver threshold when a member has, or is left with, a single active approver."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.auth.roles import Role
from app.errors import PermissionDenied, ValidationFailed
from orders import approval, services
from orders.states import OrderStatus

from .conftest import submitted_order


@pytest.fixture
def product(factories):
    return factories.product(unit_price="100.00", name="Tablette test", vat_rate=Decimal("20.00"))


def set_threshold(member_setup, amount: str):
    approval.save_rule(
        member_setup.member,
        member_setup.approver,
        second_approval_above=Decimal(amount),
        reminder_days=3,
    )


def test_threshold_rejected_with_one_approver(member_setup):
    member_setup.second_approver.is_active_account = False

    with pytest.raises(ValidationFailed) as error:
        set_threshold(member_setup, "1000")

    assert error.value.field == "second_approval_above"
    assert str(error.value) == (
        "Une seconde approbation demande deux approbateurs actifs, et Commune de Saint-Lô test en a 1. "
        "Demandez à la centrale de créer un second compte d'approbateur pour votre collectivité, "
        "puis saisissez de nouveau le montant, ou laissez-le vide."
    )
    assert approval.rule_for(member_setup.member.id).second_approval_above is None


def test_threshold_removable_with_one_approver(member_setup):
    member_setup.second_approver.is_active_account = False

    rule = approval.save_rule(member_setup.member, member_setup.approver, second_approval_above=None, reminder_days=5)

    assert rule.second_approval_above is None
    assert rule.reminder_days == 5


def test_waiting_order_unblocked_when_second_leaves(member_setup, product):
    set_threshold(member_setup, "1000")
    order = submitted_order(member_setup.buyer, member_setup.school, product, "9")  # 1 080,00 € TTC
    services.transition(order, OrderStatus.APPROVED, member_setup.approver)
    assert order.status == OrderStatus.SUBMITTED.value
    with pytest.raises(PermissionDenied):
        services.transition(order, OrderStatus.APPROVED, member_setup.approver)

    member_setup.second_approver.is_active_account = False
    assert OrderStatus.APPROVED in services.available_transitions(order, member_setup.approver)
    services.transition(order, OrderStatus.APPROVED, member_setup.approver)

    assert order.status == OrderStatus.APPROVED.value
    assert order.decided_by_id == member_setup.approver.id
    assert [row.approver_id for row in approval.approvals_of(order)] == [member_setup.approver.id]
    waiver = order.events[-2]
    assert (waiver.from_status, waiver.to_status) == ("submitted", "submitted")
    assert waiver.reason == (
        "Approbation définitive par un seul approbateur : le montant dépasse le seuil de seconde approbation, "
        "mais aucun autre approbateur actif de la collectivité ne peut approuver cette commande."
    )
    assert (order.events[-1].from_status, order.events[-1].to_status) == ("submitted", "approved")


def test_other_approver_placed_order(member_setup, product):
    set_threshold(member_setup, "1000")
    order = submitted_order(member_setup.second_approver, member_setup.school, product, "9")

    services.transition(order, OrderStatus.APPROVED, member_setup.approver)

    assert order.status == OrderStatus.APPROVED.value
    assert "aucun autre approbateur actif" in order.events[-2].reason


def test_order_page_shows_one_of_two(member_setup, product, login):
    set_threshold(member_setup, "1000")
    order = submitted_order(member_setup.buyer, member_setup.school, product, "9")
    services.transition(order, OrderStatus.APPROVED, member_setup.approver)
    client = login(member_setup.buyer)

    page = client.get(f"/orders/{order.id}").get_data(as_text=True)

    assert "1 validation sur 2" in page
    assert "Approuvée par Victor Valideur le" in page


def test_order_page_two_approvers_needed(member_setup, product, login):
    set_threshold(member_setup, "1000")
    order = submitted_order(member_setup.buyer, member_setup.school, product, "9")
    client = login(member_setup.buyer)

    page = client.get(f"/orders/{order.id}").get_data(as_text=True)

    assert "0 validation sur 2" in page
