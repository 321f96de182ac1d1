"""Report fixtures: a closed campaign whose three members crossed a tier together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from app.auth.roles import Role
from orders.campaigns import add_campaign_cost, close_campaign
from tests.campaigns.conftest import CampaignBuilder


@dataclass
class ClosedCampaign:
    campaign: object
    pooled: object
    plain: object
    members: list
    schools: list
    buyers: list


@pytest.fixture
def builder(factories) -> CampaignBuilder:
    return CampaignBuilder(factories)


@pytest.fixture
def closed_campaign(builder, factories) -> ClosedCampaign:
    """Members A, B and C order 40, 50 and 30 units at 12,00 €; 120 units reach 10,00 €.

    B also orders 2 units of a product outside the tiers at 45,50 €. A shared cost of
    10 000,00 € is split on the schools' 123, 456 and 789 pupils.
    """
    ent = factories.category(code="ent", name="ENT et abonnements", position=1)
    hardware = factories.category(code="materiel", name="Matériel", position=2)
    pooled = builder.pooled_product(
        [(1, "12.00"), (100, "10.00")], category=ent, reference="ENT-CLASSE", name="ENT par classe"
    )
    plain = factories.product(unit_price="45.50", category=hardware, reference="CLE-USB", name="Clé USB")
    campaign = builder.campaign(pooled)
    members, schools, buyers = [], [], []
    for name, pupils, classes in (("Ablon", 123, 5), ("Merville", 456, 19), ("Saint-Lô", 789, 33)):
        member = factories.member(name=name)
        school = factories.school(member, pupils=pupils, classes=classes, name=f"École de {name}")
        members.append(member)
        schools.append(school)
        buyers.append(factories.user(Role.BUYER, member))
    builder.submit(schools[0], buyers[0], [(pooled, 40)], day=date(2027, 3, 15))
    builder.submit(schools[1], buyers[1], [(pooled, 50), (plain, 2)], day=date(2027, 4, 10), status="approved")
    builder.submit(schools[2], buyers[2], [(pooled, 30)], day=date(2027, 4, 20))
    add_campaign_cost(campaign, label="Hébergement ENT", amount=Decimal("10000.00"), allocation_key="pupils")
    close_campaign(campaign, now=datetime(2027, 7, 1, 8, tzinfo=timezone.utc))
    return ClosedCampaign(campaign, pooled, plain, members, schools, buyers)
