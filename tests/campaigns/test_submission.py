"""Submission through the orders service takes the provisional campaign price."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from app import timeutils
from orders.campaign_models import CampaignOrder
from orders.campaigns import CampaignClosed, close_campaign
from orders.services import add_to_cart, submit_order

from .conftest import CAMPAIGN_DAY

SUBMITTED_AT = datetime(2027, 3, 15, 10, tzinfo=timezone.utc)


@pytest.fixture
def campaign_clock(monkeypatch):
    monkeypatch.setattr(timeutils, "utcnow", lambda: SUBMITTED_AT)


def test_submission_prices_pooled_line(builder, campaign_clock):
    product = builder.pooled_product([(1, "12.00"), (100, "10.00")])
    campaign = builder.campaign(product)
    _, earlier_school, earlier_buyer = builder.member_with_school()
    builder.submit(earlier_school, earlier_buyer, [(product, 70)])
    _, school, buyer = builder.member_with_school()
    line = add_to_cart(buyer, school, product, Decimal(40), CAMPAIGN_DAY)

    submission = submit_order(line.order, buyer, line.order.submission_token)

    order = submission.order
    assert order.status == "submitted"
    assert order.lines[0].unit_price == Decimal("10.00")
    assert order.net_amount == Decimal("400.00")
    assert order.vat_amount == Decimal("80.00")
    assert CampaignOrder.query.filter_by(order_id=order.id).one().campaign_id == campaign.id


def test_submission_rejected_after_close(builder, campaign_clock):
    product = builder.pooled_product([(1, "12.00"), (100, "10.00")])
    campaign = builder.campaign(product)
    close_campaign(campaign)
    _, school, buyer = builder.member_with_school()
    line = add_to_cart(buyer, school, product, Decimal(5), CAMPAIGN_DAY)

    with pytest.raises(CampaignClosed) as raised:
        submit_order(line.order, buyer, line.order.submission_token)

    assert campaign.name in str(raised.value)
