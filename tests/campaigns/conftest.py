"""Campaign fixtures: a pooled product, a campaign over it, and orders submitted into it."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from app.auth.roles import Role
from app.extensions import db
from app.money import line_net_amount
from orders.campaigns import apply_campaign_pricing, create_campaign
from orders.models import Order, OrderLine
from orders.states import OrderStatus

CAMPAIGN_DAY = date(2027, 3, 15)


class CampaignBuilder:
    """Build campaigns and submit orders into them the way the submission hook does."""

    def __init__(self, factories) -> None:
        self.factories = factories

    def pooled_product(self, tiers, mode: str = "volume", **fields):
        return self.factories.product(unit_price=tiers[0][1], tiers=tiers, tier_mode=mode, **fields)

    def campaign(self, *products, name: str = "ENT 2027-2028", **fields):
        values = {
            "name": name,
            "school_year": 2027,
            "opens_on": date(2027, 3, 1),
            "closes_on": date(2027, 6, 30),
            "products": list(products),
        }
        values.update(fields)
        return create_campaign(**values)

    def member_with_school(self, pupils: int = 120, classes: int = 5, **member_fields):
        member = self.factories.member(**member_fields)
        school = self.factories.school(member, pupils=pupils, classes=classes)
        buyer = self.factories.user(Role.BUYER, member)
        return member, school, buyer

    def submit(self, school, buyer, lines, day: date = CAMPAIGN_DAY, status: str = OrderStatus.SUBMITTED.value):
        """Create an order of ``lines`` [(product, quantity)], price it and mark it submitted."""
        order = Order(
            member_id=school.member_id,
            school_id=school.id,
            created_by_id=buyer.id,
            status=OrderStatus.DRAFT.value,
        )
        db.session.add(order)
        db.session.flush()
        for position, (product, quantity) in enumerate(lines):
            unit_price = product.prices[0].unit_price
            order.lines.append(
                OrderLine(
                    product_id=product.id,
                    product=product,
                    position=position,
                    quantity=Decimal(quantity),
                    reference=product.reference,
                    name=product.name,
                    unit=product.unit,
                    unit_price=unit_price,
                    vat_category=product.vat_category,
                    vat_rate=product.vat_rate,
                    net_amount=line_net_amount(Decimal(quantity), unit_price),
                )
            )
        db.session.flush()
        apply_campaign_pricing(order, day)
        totals = order.totals()
        order.net_amount, order.vat_amount, order.gross_amount = (
            totals.net_amount,
            totals.vat_amount,
            totals.gross_amount,
        )
        order.status = status
        order.submitted_at = datetime(day.year, day.month, day.day, 10, tzinfo=timezone.utc)
        db.session.flush()
        return order


@pytest.fixture
def builder(factories) -> CampaignBuilder:
    return CampaignBuilder(factories)
