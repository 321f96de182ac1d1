"""The closing batch: final prices, settlements per VAT rate, and closing twice."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from orders.campaign_models import Settlement
from orders.campaigns import campaign_settlements, close_campaign

TIERS = [(1, "12.00"), (100, "10.00")]
CLOSED_AT = datetime(2027, 7, 1, 8, tzinfo=timezone.utc)


def test_three_members_cross_tier(builder, factories):
    product = builder.pooled_product(TIERS)
    campaign = builder.campaign(product)
    _, school_a, buyer_a = builder.member_with_school()
    _, school_b, buyer_b = builder.member_with_school()
    _, school_c, buyer_c = builder.member_with_school()
    order_a = builder.submit(school_a, buyer_a, [(product, 40)])
    order_b = builder.submit(school_b, buyer_b, [(product, 50)], status="approved")
    order_c = builder.submit(school_c, buyer_c, [(product, 30)])
    manager = factories.user("catalog_manager")

    result = close_campaign(campaign, user=manager, now=CLOSED_AT)

    assert [order_a.net_amount, order_b.net_amount, order_c.net_amount] == [
        Decimal("480.00"),
        Decimal("600.00"),
        Decimal("300.00"),
    ]
    assert result.closed is True
    assert campaign.status == "closed"
    assert campaign.closed_at == CLOSED_AT
    assert campaign.closed_by_id == manager.id
    campaign_product = campaign.products[0]
    assert campaign_product.final_quantity == Decimal("120")
    assert campaign_product.final_tier_from == 100
    assert campaign_product.final_unit_price == Decimal("10.00")

    settlements = {row.order_id: row for row in campaign_settlements(campaign.id)}
    assert set(settlements) == {order_a.id, order_b.id}
    credit_a = settlements[order_a.id]
    assert credit_a.provisional_net == Decimal("480.00")
    assert credit_a.final_net == Decimal("400.00")
    assert credit_a.difference_net == Decimal("-80.00")
    assert credit_a.difference_vat == Decimal("-16.00")
    assert credit_a.kind == "credit"
    assert credit_a.invoiced is False
    assert credit_a.member_id == order_a.member_id
    credit_b = settlements[order_b.id]
    assert credit_b.difference_net == Decimal("-100.00")
    assert credit_b.difference_vat == Decimal("-20.00")
    assert credit_b.difference_gross == Decimal("-120.00")


def test_complement_when_total_falls(builder):
    product = builder.pooled_product(TIERS)
    campaign = builder.campaign(product)
    _, school_a, buyer_a = builder.member_with_school()
    _, school_b, buyer_b = builder.member_with_school()
    order_a = builder.submit(school_a, buyer_a, [(product, 60)])
    order_b = builder.submit(school_b, buyer_b, [(product, 50)])
    order_a.status = "cancelled"

    close_campaign(campaign, now=CLOSED_AT)

    assert order_b.lines[0].unit_price == Decimal("10.00")
    settlements = campaign_settlements(campaign.id)
    assert len(settlements) == 1
    complement = settlements[0]
    assert complement.order_id == order_b.id
    assert complement.difference_net == Decimal("100.00")
    assert complement.difference_vat == Decimal("20.00")
    assert complement.kind == "complement"


def test_settlement_per_vat_rate(builder):
    standard = builder.pooled_product(TIERS)
    reduced = builder.pooled_product([(1, "30.00"), (10, "25.00")], vat_rate=Decimal("5.50"))
    campaign = builder.campaign(standard, reduced)
    _, school_a, buyer_a = builder.member_with_school()
    _, school_b, buyer_b = builder.member_with_school()
    first = builder.submit(school_a, buyer_a, [(standard, 90), (reduced, 7)])
    builder.submit(school_b, buyer_b, [(standard, 10), (reduced, 3)])

    close_campaign(campaign, now=CLOSED_AT)

    rows = {row.vat_rate: row for row in campaign_settlements(campaign.id) if row.order_id == first.id}
    assert rows[Decimal("20.00")].difference_net == Decimal("-180.00")
    assert rows[Decimal("20.00")].difference_vat == Decimal("-36.00")
    assert rows[Decimal("5.50")].provisional_net == Decimal("210.00")
    assert rows[Decimal("5.50")].final_net == Decimal("175.00")
    assert rows[Decimal("5.50")].difference_net == Decimal("-35.00")
    # 35.00 x 5.5 % = 1.925, rounded half away from zero.
    assert rows[Decimal("5.50")].difference_vat == Decimal("-1.93")


def test_graduated_close_uses_average(builder):
    product = builder.pooled_product([(1, "10.00"), (100, "8.00"), (200, "6.00")], mode="graduated")
    campaign = builder.campaign(product)
    _, school_a, buyer_a = builder.member_with_school()
    _, school_b, buyer_b = builder.member_with_school()
    first = builder.submit(school_a, buyer_a, [(product, 50)])
    builder.submit(school_b, buyer_b, [(product, 100)])

    close_campaign(campaign, now=CLOSED_AT)

    assert campaign.products[0].final_unit_price == Decimal("9.3200")
    settlement = [row for row in campaign_settlements(campaign.id) if row.order_id == first.id][0]
    assert settlement.provisional_net == Decimal("500.00")
    assert settlement.final_net == Decimal("466.00")
    assert settlement.difference_net == Decimal("-34.00")


def test_close_twice_changes_nothing(builder):
    product = builder.pooled_product(TIERS)
    campaign = builder.campaign(product)
    _, school_a, buyer_a = builder.member_with_school()
    _, school_b, buyer_b = builder.member_with_school()
    builder.submit(school_a, buyer_a, [(product, 60)])
    builder.submit(school_b, buyer_b, [(product, 50)])
    close_campaign(campaign, now=CLOSED_AT)
    first_rows = [(row.id, row.difference_net) for row in campaign_settlements(campaign.id)]

    again = close_campaign(campaign, now=datetime(2027, 8, 1, tzinfo=timezone.utc))

    assert again.closed is False
    assert again.settlements == []
    assert campaign.closed_at == CLOSED_AT
    assert [(row.id, row.difference_net) for row in campaign_settlements(campaign.id)] == first_rows
    assert Settlement.query.filter_by(campaign_id=campaign.id).count() == 1


def test_close_with_zero_orders(builder):
    product = builder.pooled_product(TIERS)
    campaign = builder.campaign(product)

    result = close_campaign(campaign, now=CLOSED_AT)

    assert result.closed is True
    assert result.settlements == []
    assert campaign.products[0].final_quantity == Decimal("0")
    assert campaign.products[0].final_unit_price == Decimal("12.00")
    assert campaign.products[0].final_tier_from == 1
