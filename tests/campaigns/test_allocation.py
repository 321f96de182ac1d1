"""Shared fixed costs split by largest remainder, to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.errors import ValidationFailed
from orders.campaigns import add_campaign_cost, allocate_amount, allocate_campaign_costs


def test_worked_example_to_the_cent():
    shares = allocate_amount(Decimal("10000.00"), {1: 123, 2: 456, 3: 789})

    # Floors 899.12 + 3333.33 + 5767.54 = 9999.99; the left-over cent goes to the largest
    # remainder, 0.386 of a cent on the 789-pupil share (0.333 and 0.281 on the others).
    assert shares == {1: Decimal("899.12"), 2: Decimal("3333.33"), 3: Decimal("5767.55")}
    assert sum(shares.values()) == Decimal("10000.00")


@pytest.mark.parametrize(
    ("amount", "weights", "expected"),
    [
        ("100.00", {1: 1, 2: 1, 3: 1}, {1: "33.34", 2: "33.33", 3: "33.33"}),
        ("0.02", {1: 5, 2: 3, 3: 2}, {1: "0.01", 2: "0.01", 3: "0.00"}),
        ("50.00", {1: 7, 2: 0}, {1: "50.00", 2: "0.00"}),
    ],
)
def test_allocation_table(amount, weights, expected):
    shares = allocate_amount(Decimal(amount), weights)

    assert shares == {key: Decimal(value) for key, value in expected.items()}
    assert sum(shares.values()) == Decimal(amount)


def test_allocation_without_weight_is_empty():
    assert allocate_amount(Decimal("10.00"), {1: 0, 2: 0}) == {}
    assert allocate_amount(Decimal("10.00"), {}) == {}


def test_campaign_cost_split_by_pupils(builder):
    product = builder.pooled_product([(1, "2.00"), (1000, "1.50")], unit="pupil")
    campaign = builder.campaign(product)
    members = []
    for pupils in (123, 456, 789):
        member, school, buyer = builder.member_with_school(pupils=pupils, classes=pupils // 25)
        builder.submit(school, buyer, [(product, pupils)])
        members.append(member)
    builder.member_with_school(pupils=5000)  # a member that did not order gets no share
    add_campaign_cost(campaign, label="Hébergement ENT", amount=Decimal("10000.00"), allocation_key="pupils")

    (allocation,) = allocate_campaign_costs(campaign)

    shares = {share.member_id: share.amount for share in allocation.shares}
    assert shares == {
        members[0].id: Decimal("899.12"),
        members[1].id: Decimal("3333.33"),
        members[2].id: Decimal("5767.55"),
    }
    assert allocation.total_base == 1368
    assert allocation.allocated_amount == Decimal("10000.00")


def test_campaign_cost_split_by_schools(builder, factories):
    product = builder.pooled_product([(1, "100.00")], unit="school")
    campaign = builder.campaign(product)
    member_a, school_a1, buyer_a = builder.member_with_school()
    school_a2 = factories.school(member_a)
    member_b, school_b, buyer_b = builder.member_with_school()
    builder.submit(school_a1, buyer_a, [(product, 1)])
    builder.submit(school_a1, buyer_a, [(product, 1)])  # the same school counts once
    builder.submit(school_a2, buyer_a, [(product, 1)])
    builder.submit(school_b, buyer_b, [(product, 1)])
    add_campaign_cost(campaign, label="Formation", amount=Decimal("1000.00"), allocation_key="schools")

    (allocation,) = allocate_campaign_costs(campaign)

    shares = {share.member_id: (share.base, share.amount) for share in allocation.shares}
    assert shares == {member_a.id: (2, Decimal("666.67")), member_b.id: (1, Decimal("333.33"))}


def test_cost_rejects_bad_amount(builder):
    campaign = builder.campaign(builder.pooled_product([(1, "2.00")]))

    with pytest.raises(ValidationFailed) as raised:
        add_campaign_cost(campaign, label="Hébergement", amount=Decimal("0"), allocation_key="pupils")

    assert raised.value.field == "amount"
