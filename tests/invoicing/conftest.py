"""Invoicing fixtures: approved orders built directly, with frozen lines of chosen prices and VAT."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from app.auth.roles import Role
from app.extensions import db
from app.money import line_net_amount
from orders.models import Order, OrderLine

_order_numbers = itertools.count(1)

BILLING_SIRET_SUFFIX = "00015"


def siret_of(siren: str) -> str:
    """Return a valid SIRET of ``siren`` (Luhn over the 14 digits)."""
    for establishment in range(10, 100):
        candidate = f"{siren}000{establishment:02d}"
        total = 0
        for index, char in enumerate(reversed(candidate)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return candidate
    raise AssertionError("no SIRET found")


class InvoicingData:
    """Build members with a billing SIRET, their users and approved orders."""

    def __init__(self, factories) -> None:
        self.factories = factories

    def member(self, with_siret: bool = True, **fields):
        member = self.factories.member(
            address_line1="1 place de la Mairie", postcode="50000", city="Saint-Lô", **fields
        )
        if with_siret:
            member.billing_siret = siret_of(member.siren)
        db.session.flush()
        return member

    def approved_order(self, member=None, lines=(("20.00", "3", "12.50"),), *, service_code="", engagement_number="", sales_mode="resale", decided_at=None):
        """Create an approved order whose lines are (vat_rate, quantity, unit_price) tuples.

        A rate of "0" makes an exempt (E) line with a legal reason.
        """
        member = member or self.member()
        school = self.factories.school(member=member)
        buyer = self.factories.user(Role.BUYER, member=member)
        product = self.factories.product()
        order = Order(
            number=f"BC-2026-{next(_order_numbers) + 90000:05d}",
            status="approved",
            member=member,
            school=school,
            created_by_id=buyer.id,
            service_code=service_code,
            engagement_number=engagement_number,
            submitted_at=datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc),
            decided_at=decided_at or datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc),
        )
        for position, (rate, quantity, unit_price) in enumerate(lines, start=1):
            exempt = Decimal(rate) == 0
            order.lines.append(
                OrderLine(
                    product_id=product.id,
                    position=position,
                    quantity=Decimal(quantity),
                    reference=f"REF-{position}",
                    name=f"Article {position}",
                    unit="training_day" if exempt else "class",
                    unit_price=Decimal(unit_price),
                    vat_category="E" if exempt else "S",
                    vat_rate=Decimal(rate),
                    vat_exemption_reason="Exonération de TVA, CGI art. 261-4-4° a" if exempt else "",
                    contract_reference="2025-MN-001 lot 1",
                    sales_mode=sales_mode,
                    net_amount=line_net_amount(Decimal(quantity), Decimal(unit_price)),
                )
            )
        totals = order.totals()
        order.net_amount, order.vat_amount, order.gross_amount = totals.net_amount, totals.vat_amount, totals.gross_amount
        db.session.add(order)
        db.session.flush()
        return order


@pytest.fixture
def invoicing_data(factories) -> InvoicingData:
    return InvoicingData(factories)


@pytest.fixture
def finance_user(factories):
    return factories.user(Role.FINANCE)
