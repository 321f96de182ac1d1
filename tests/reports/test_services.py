"""Report figures aggregated by the database, checked to the cent."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from app.auth.roles import Role
from orders.campaigns import close_campaign
from reports.services import campaign_report, campaigns_of_member, dashboard, member_report


def test_campaign_report_products(closed_campaign):
    report = campaign_report(closed_campaign.campaign)

    (row,) = report.products
    assert row.reference == "ENT-CLASSE"
    assert row.quantity == Decimal("120")
    assert row.tier_from == 100
    assert row.list_unit_price == Decimal("12.00")
    assert row.unit_price == Decimal("10.00")
    assert row.spend == Decimal("1200.00")
    assert row.savings == Decimal("240.00")
    assert report.spend == Decimal("1200.00")
    assert report.list_amount == Decimal("1440.00")
    assert report.is_final is True


def test_campaign_report_coverage(closed_campaign):
    report = campaign_report(closed_campaign.campaign)

    assert report.member_count == 3
    assert report.school_count == 3
    assert report.pupil_count == 1368
    assert report.class_count == 57
    assert report.order_count == 3


def test_campaign_report_members(closed_campaign):
    report = campaign_report(closed_campaign.campaign)

    rows = {row.name: row for row in report.members}
    assert rows["Ablon"].spend == Decimal("400.00")
    assert rows["Ablon"].savings == Decimal("80.00")
    assert rows["Ablon"].settlement_net == Decimal("-80.00")
    assert rows["Ablon"].cost_shares == Decimal("899.12")
    assert rows["Merville"].spend == Decimal("500.00")
    assert rows["Merville"].cost_shares == Decimal("3333.33")
    assert rows["Saint-Lô"].spend == Decimal("300.00")
    assert rows["Saint-Lô"].savings == Decimal("60.00")
    assert rows["Saint-Lô"].settlement_net == Decimal("0.00")
    assert rows["Saint-Lô"].cost_shares == Decimal("5767.55")
    assert report.shared_costs == Decimal("10000.00")


def test_open_campaign_report_is_provisional(builder):
    product = builder.pooled_product([(1, "12.00"), (100, "10.00")])
    campaign = builder.campaign(product)
    _, school, buyer = builder.member_with_school()
    builder.submit(school, buyer, [(product, 90)])
    builder.submit(school, buyer, [(product, 20)])

    report = campaign_report(campaign)

    (row,) = report.products
    assert report.is_final is False
    assert row.quantity == Decimal("110")
    assert row.tier_from == 100
    assert row.unit_price == Decimal("10.00")
    # At the prices the orders carry: 90 x 12,00 + 20 x 10,00.
    assert row.spend == Decimal("1280.00")
    assert row.savings == Decimal("40.00")


def test_campaign_report_without_orders(builder):
    campaign = builder.campaign(builder.pooled_product([(1, "12.00"), (100, "10.00")]))

    report = campaign_report(campaign)

    assert report.products[0].quantity == Decimal("0")
    assert report.products[0].spend == Decimal("0.00")
    assert report.members == []
    assert report.pupil_count == 0


def test_member_report_per_school(closed_campaign):
    report = member_report(closed_campaign.members[1], closed_campaign.campaign)

    (school,) = report.schools
    assert school.name == "École de Merville"
    assert school.spend == Decimal("591.00")
    assert school.savings == Decimal("100.00")
    assert school.cost_per_pupil == Decimal("1.30")
    assert school.cost_per_class == Decimal("31.11")
    assert report.spend == Decimal("591.00")
    assert report.list_amount == Decimal("691.00")
    assert report.savings_rate == Decimal("14.5")


def test_member_report_per_category_and_month(closed_campaign):
    report = member_report(closed_campaign.members[1], closed_campaign.campaign)

    assert [(row.label, row.spend, row.savings) for row in report.categories] == [
        ("ENT et abonnements", Decimal("500.00"), Decimal("100.00")),
        ("Matériel", Decimal("91.00"), Decimal("0.00")),
    ]
    assert [(row.key, row.label, row.spend) for row in report.months] == [("2027-04", "avril 2027", Decimal("591.00"))]


def test_member_report_costs_and_settlements(closed_campaign):
    report = member_report(closed_campaign.members[1], closed_campaign.campaign)

    assert report.cost_shares == [("Hébergement ENT", Decimal("3333.33"))]
    assert [row.difference_net for row in report.settlements] == [Decimal("-100.00")]
    assert report.settlement_net == Decimal("-100.00")


def test_member_report_only_own_orders(closed_campaign):
    report = member_report(closed_campaign.members[0])

    assert [row.name for row in report.schools] == ["École de Ablon"]
    assert report.spend == Decimal("400.00")
    assert campaigns_of_member(closed_campaign.members[0]) == [closed_campaign.campaign]


def test_dashboard_totals(closed_campaign):
    board = dashboard()

    assert [(row.key, row.spend, row.savings) for row in board.months] == [
        ("2027-03", Decimal("400.00"), Decimal("80.00")),
        ("2027-04", Decimal("891.00"), Decimal("160.00")),
    ]
    assert board.spend == Decimal("1291.00")
    assert board.savings == Decimal("240.00")
    assert [(row.key, row.spend) for row in board.top_products] == [
        ("ENT-CLASSE", Decimal("1200.00")),
        ("CLE-USB", Decimal("91.00")),
    ]
    assert (board.member_count, board.school_count, board.pupil_count, board.order_count) == (3, 3, 1368, 3)
    (summary,) = board.campaigns
    assert (summary.members, summary.spend, summary.savings) == (3, Decimal("1291.00"), Decimal("240.00"))


def test_dashboard_since_filters(closed_campaign):
    board = dashboard(since=date(2027, 4, 1))

    assert board.spend == Decimal("891.00")
    assert board.member_count == 2


def test_member_report_breakdowns_sum_to_total(builder, factories):
    """Two lines of 80,004 € savings each: 160,00 € whatever the grouping, never 160,01 €."""
    pooled = builder.pooled_product([(1, "12.0001"), (50, "10.00")], reference="ENT-ECOLE", name="ENT par école")
    campaign = builder.campaign(pooled)
    member = factories.member(name="Saint-Lô")
    buyer = factories.user(Role.BUYER, member)
    for name in ("École Jules Ferry", "École du Bourg"):
        school = factories.school(member, name=name)
        builder.submit(school, buyer, [(pooled, 40)], day=date(2027, 3, 15))
    close_campaign(campaign, now=datetime(2027, 7, 1, 8, tzinfo=timezone.utc))

    report = member_report(member)

    assert [row.savings for row in report.schools] == [Decimal("80.00"), Decimal("80.00")]
    assert report.savings == Decimal("160.00")
    assert [row.savings for row in report.categories] == [Decimal("160.00")]
    assert [row.savings for row in report.months] == [Decimal("160.00")]
    assert sum(row.spend for row in report.categories) == report.spend
    assert sum(row.spend for row in report.months) == report.spend
