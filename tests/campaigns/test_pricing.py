"""Provisional prices in an open campaign, and the tier shown on product pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.errors import ValidationFailed
from orders.campaign_models import CampaignOrder
from orders.campaigns import CampaignClosed, apply_campaign_pricing, campaign_price_info, close_campaign

from .conftest import CAMPAIGN_DAY

VOLUME_TIERS = [(1, "12.00"), (100, "10.00"), (500, "8.50")]
GRADUATED_TIERS = [(1, "10.00"), (100, "8.00"), (200, "6.00")]


def test_volume_price_crosses_boundary(builder):
    product = builder.pooled_product(VOLUME_TIERS)
    builder.campaign(product)
    _, school_a, buyer_a = builder.member_with_school()
    _, school_b, buyer_b = builder.member_with_school()

    first = builder.submit(school_a, buyer_a, [(product, 99)])
    second = builder.submit(school_b, buyer_b, [(product, 1)])

    assert first.lines[0].unit_price == Decimal("12.00")
    assert first.lines[0].net_amount == Decimal("1188.00")
    assert second.lines[0].unit_price == Decimal("10.00")
    assert second.lines[0].net_amount == Decimal("10.00")


def test_graduated_price_crosses_boundary(builder):
    product = builder.pooled_product(GRADUATED_TIERS, mode="graduated")
    builder.campaign(product)
    _, school, buyer = builder.member_with_school()

    order = builder.submit(school, buyer, [(product, 150)])

    # 99 units at 10.00 and 51 at 8.00 make 1398.00, so 9.32 per unit on average.
    assert order.lines[0].unit_price == Decimal("9.3200")
    assert order.lines[0].net_amount == Decimal("1398.00")
    assert order.net_amount == Decimal("1398.00")
    assert order.vat_amount == Decimal("279.60")


def test_pricing_ignores_rejected_orders(builder):
    product = builder.pooled_product(VOLUME_TIERS)
    builder.campaign(product)
    _, school, buyer = builder.member_with_school()

    builder.submit(school, buyer, [(product, 80)], status="rejected")
    order = builder.submit(school, buyer, [(product, 30)])

    assert order.lines[0].unit_price == Decimal("12.00")


def test_pricing_leaves_other_lines(builder, factories):
    pooled = builder.pooled_product(VOLUME_TIERS)
    plain = factories.product(unit_price="45.50")
    builder.campaign(pooled)
    _, school, buyer = builder.member_with_school()

    order = builder.submit(school, buyer, [(pooled, 120), (plain, 2)])

    assert order.lines[0].unit_price == Decimal("10.00")
    assert order.lines[1].unit_price == Decimal("45.50")
    assert order.net_amount == Decimal("1291.00")


def test_order_outside_window_not_linked(builder):
    product = builder.pooled_product(VOLUME_TIERS)
    builder.campaign(product)
    _, school, buyer = builder.member_with_school()

    order = builder.submit(school, buyer, [(product, 120)], day=date(2027, 7, 2))

    assert order.lines[0].unit_price == Decimal("12.00")
    assert CampaignOrder.query.filter_by(order_id=order.id).first() is None


def test_closed_campaign_rejects_order(builder):
    product = builder.pooled_product(VOLUME_TIERS)
    campaign = builder.campaign(product)
    close_campaign(campaign)
    _, school, buyer = builder.member_with_school()

    with pytest.raises(CampaignClosed) as raised:
        builder.submit(school, buyer, [(product, 10)])

    assert "ENT 2027-2028" in str(raised.value)
    assert "closed" in str(raised.value) or "clôturée" in str(raised.value)


def test_order_linked_to_closed_campaign_rejected(builder):
    product = builder.pooled_product(VOLUME_TIERS)
    campaign = builder.campaign(product)
    _, school, buyer = builder.member_with_school()
    order = builder.submit(school, buyer, [(product, 10)])
    close_campaign(campaign)

    with pytest.raises(CampaignClosed):
        apply_campaign_pricing(order, date(2027, 9, 1))


def test_order_mixing_campaigns_rejected(builder):
    first = builder.pooled_product(VOLUME_TIERS)
    second = builder.pooled_product(VOLUME_TIERS)
    builder.campaign(first, name="ENT 2027-2028")
    builder.campaign(second, name="Tablettes 2027")
    _, school, buyer = builder.member_with_school()

    with pytest.raises(ValidationFailed) as raised:
        builder.submit(school, buyer, [(first, 1), (second, 1)])

    assert raised.value.field == "lines"


def test_price_info_shows_next_tier(builder):
    product = builder.pooled_product(VOLUME_TIERS)
    builder.campaign(product)
    _, school, buyer = builder.member_with_school()
    builder.submit(school, buyer, [(product, 120)])

    info = campaign_price_info(product, CAMPAIGN_DAY)

    assert info.total_quantity == 120
    assert info.tier_from == 100
    assert info.unit_price == Decimal("10.00")
    assert info.list_unit_price == Decimal("12.00")
    assert info.next_tier_from == 500
    assert info.next_unit_price == Decimal("8.50")
    assert info.units_to_next_tier == 380


def test_price_info_none_outside_campaign(builder, factories):
    product = builder.pooled_product(VOLUME_TIERS)
    builder.campaign(product)

    assert campaign_price_info(product, date(2027, 7, 1)) is None
    assert campaign_price_info(factories.product(), CAMPAIGN_DAY) is None


def test_price_info_last_tier_has_no_next(builder):
    product = builder.pooled_product(VOLUME_TIERS)
    builder.campaign(product)
    _, school, buyer = builder.member_with_school()
    builder.submit(school, buyer, [(product, 600)])

    info = campaign_price_info(product, CAMPAIGN_DAY)

    assert info.unit_price == Decimal("8.50")
    assert info.next_tier_from is None
    assert info.units_to_next_tier is None


def test_campaign_rejects_unpooled_product(builder, factories):
    with pytest.raises(ValidationFailed) as raised:
        builder.campaign(factories.product())

    assert raised.value.field == "products"


def test_campaign_rejects_overlapping_window(builder):
    product = builder.pooled_product(VOLUME_TIERS)
    builder.campaign(product)

    with pytest.raises(ValidationFailed) as raised:
        builder.campaign(product, name="ENT bis", opens_on=date(2027, 6, 1), closes_on=date(2027, 9, 1))

    assert raised.value.field == "products"


def test_campaign_rejects_duplicate_name(builder):
    product = builder.pooled_product(VOLUME_TIERS)
    builder.campaign(product)

    with pytest.raises(ValidationFailed) as raised:
        builder.campaign(product, opens_on=date(2028, 3, 1), closes_on=date(2028, 6, 30))

    assert raised.value.field == "name"
