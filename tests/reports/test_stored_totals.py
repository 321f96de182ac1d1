"""The campaign report reads a closed campaign's stored totals with the live figures."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import delete, func, select

from app.auth.roles import Role
from app.extensions import db
from orders.campaign_models import CampaignTotal
from orders.campaigns import close_campaign
from reports.services import campaign_report


def figures(report) -> tuple:
    return (
        [(row.reference, row.quantity, row.tier_from, row.unit_price, row.spend, row.savings) for row in report.products],
        [(row.name, row.spend, row.savings, row.cost_shares, row.settlement_net) for row in report.members],
        report.spend,
        report.savings,
        report.list_amount,
        report.order_count,
    )


def test_closing_stores_member_product_totals(closed_campaign):
    rows = db.session.execute(
        select(CampaignTotal.member_id, CampaignTotal.quantity, CampaignTotal.spend_amount)
        .where(CampaignTotal.campaign_id == closed_campaign.campaign.id)
        .order_by(CampaignTotal.member_id)
    ).all()

    members = closed_campaign.members
    assert [(member_id, Decimal(quantity), Decimal(spend)) for member_id, quantity, spend in rows] == [
        (members[0].id, Decimal("40.000"), Decimal("400.00")),
        (members[1].id, Decimal("50.000"), Decimal("500.00")),
        (members[2].id, Decimal("30.000"), Decimal("300.00")),
    ]


def test_stored_and_live_figures_match(closed_campaign):
    stored = figures(campaign_report(closed_campaign.campaign))

    db.session.execute(delete(CampaignTotal).where(CampaignTotal.campaign_id == closed_campaign.campaign.id))
    live = figures(campaign_report(closed_campaign.campaign))

    assert stored == live
    assert stored[2] == Decimal("1200.00")
    assert stored[3] == Decimal("240.00")


def test_graduated_fractional_totals_match(builder, factories):
    """Graduated tiers, fractional quantities and a 4-decimal price round the same both ways."""
    product = builder.pooled_product([(1, "3.3333"), (10, "2.7777"), (25, "1.9999")], mode="graduated")
    campaign = builder.campaign(product, name="Licences 2027")
    for pupils, quantities in ((96, ("7.5", "3.25")), (180, ("12.125",)), (45, ("1", "4.875"))):
        member = factories.member()
        school = factories.school(member, pupils=pupils)
        buyer = factories.user(Role.BUYER, member)
        for quantity in quantities:
            builder.submit(school, buyer, [(product, quantity)], day=date(2027, 3, 20))
    close_campaign(campaign, now=datetime(2027, 7, 1, 8, tzinfo=timezone.utc))
    stored_rows = db.session.scalar(
        select(func.count()).select_from(CampaignTotal).where(CampaignTotal.campaign_id == campaign.id)
    )
    stored = figures(campaign_report(campaign))

    db.session.execute(delete(CampaignTotal).where(CampaignTotal.campaign_id == campaign.id))
    live = figures(campaign_report(campaign))

    assert stored_rows == 3
    assert stored == live
    assert stored[0][0][1] == Decimal("28.75")
