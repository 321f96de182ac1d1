"""Campaign screens: creation, shared costs and closing, by role."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest

from app.auth.roles import Role
from orders.campaign_models import Campaign, CampaignCost

from .conftest import CampaignBuilder


def test_manager_creates_campaign(factories, login):
    product = CampaignBuilder(factories).pooled_product([(1, "12.00"), (100, "10.00")])
    client = login(factories.user(Role.CATALOG_MANAGER))

    response = client.post(
        "/campagnes/nouvelle",
        data={
            "name": "ENT 2028-2029",
            "school_year": "2028",
            "opens_on": "2028-03-01",
            "closes_on": "2028-06-30",
            "products": [str(product.id)],
        },
    )

    assert response.status_code == 302
    campaign = Campaign.query.filter_by(name="ENT 2028-2029").one()
    assert campaign.products[0].list_unit_price == Decimal("12.00")


def test_creation_reports_reversed_dates(factories, login):
    product = CampaignBuilder(factories).pooled_product([(1, "12.00")])
    client = login(factories.user(Role.ADMIN))

    response = client.post(
        "/campagnes/nouvelle",
        data={"name": "X", "school_year": "2028", "opens_on": "2028-06-30", "closes_on": "2028-03-01", "products": [str(product.id)]},
    )

    assert response.status_code == 200
    assert Campaign.query.filter_by(name="X").count() == 0


def test_finance_cannot_close(builder, factories, login):
    campaign = builder.campaign(builder.pooled_product([(1, "12.00")]))
    client = login(factories.user(Role.FINANCE))

    assert client.get(f"/campagnes/{campaign.id}").status_code == 200
    assert client.post(f"/campagnes/{campaign.id}/cloturer").status_code == 403
    assert campaign.is_open


def test_members_cannot_see_campaigns(builder, factories, login):
    campaign = builder.campaign(builder.pooled_product([(1, "12.00")]))
    client = login(factories.user(Role.BUYER))

    assert client.get("/campagnes/").status_code == 403
    assert client.get(f"/campagnes/{campaign.id}").status_code == 403


def test_manager_adds_cost_and_closes(builder, factories, login):
    product = builder.pooled_product([(1, "12.00"), (100, "10.00")])
    campaign = builder.campaign(product)
    _, school, buyer = builder.member_with_school()
    builder.submit(school, buyer, [(product, 60)])
    builder.submit(school, buyer, [(product, 50)])
    client = login(factories.user(Role.CATALOG_MANAGER))

    client.post(f"/campagnes/{campaign.id}/couts", data={"label": "Hébergement", "amount": "10 000,00", "allocation_key": "pupils"})
    first = client.post(f"/campagnes/{campaign.id}/cloturer")
    second = client.post(f"/campagnes/{campaign.id}/cloturer", follow_redirects=True)

    assert CampaignCost.query.filter_by(campaign_id=campaign.id).one().amount == Decimal("10000.00")
    assert first.status_code == 302
    assert campaign.status == "closed"
    assert second.status_code == 200
    page = client.get(f"/campagnes/{campaign.id}").get_data(as_text=True)
    assert "-120,00" in page.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "Montant HT (€) : « abc » n’est pas un nombre"),
        ("10,555", "Montant HT (€) : 10,555 a trop de décimales : 2 décimales au plus."),
        ("9" * 30, "est trop grand : 999\u202f999\u202f999,99\u00a0€ au plus."),
        ("0", "Montant HT (€) : saisissez un nombre supérieur à 0."),
    ],
)
def test_bad_cost_amount_is_named(builder, factories, login, amount, message):
    campaign = builder.campaign(builder.pooled_product([(1, "12.00")]))
    client = login(factories.user(Role.CATALOG_MANAGER))

    response = client.post(
        f"/campagnes/{campaign.id}/couts",
        data={"label": "Hébergement", "amount": amount, "allocation_key": "pupils"},
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert message in html.unescape(response.get_data(as_text=True))
    assert CampaignCost.query.filter_by(campaign_id=campaign.id).count() == 0
