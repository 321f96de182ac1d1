"""The demo campaigns load once and give every report content."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from catalog.demo import load_example_catalogue
from orders.campaign_models import Campaign, Settlement
from orders.campaigns import load_demo_campaigns
from orders.models import Order
from reports.services import campaign_report


def test_demo_campaigns_load_twice(factories):
    load_example_catalogue()
    for siren, name in (("215005026", "Saint-Lô"), ("211400015", "Ablon"), ("211404090", "Merville-Franceville-Plage")):
        member = factories.member(siren=siren, name=name)
        for pupils in (96, 180):
            factories.school(member, pupils=pupils, classes=pupils // 24)

    load_demo_campaigns()
    counts = (Campaign.query.count(), Order.query.count(), Settlement.query.count())
    load_demo_campaigns()

    assert (Campaign.query.count(), Order.query.count(), Settlement.query.count()) == counts
    closed = Campaign.query.filter_by(name="ENT 2025-2026").one()
    opened = Campaign.query.filter_by(name="ENT 2027-2028").one()
    assert closed.status == "closed"
    assert opened.accepts_orders_on(date(2026, 12, 4))
    report = campaign_report(closed)
    assert report.member_count == 3
    assert report.pupil_count == 828
    assert report.shared_costs == Decimal("13000.00")
    assert sum(share.amount for cost in report.allocations for share in cost.shares) == Decimal("13000.00")
    assert report.order_count == 6
    assert campaign_report(opened).order_count == 6
