"""Texts stored with orders and sent by e-mail are French whatever the user's interface language."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from flask_babel import force_locale

from app import timeutils
from app.extensions import db
from orders import approval
from orders.models import Order

from .conftest import outbox_rows, submitted_order


def english_client(client_for, user):
    client = client_for(user)
    client.post("/language/en", data={"next": "/orders"})
    return client


def test_first_approval_reason_french_in_english(member_setup, factories, client_for):
    approval.save_rule(member_setup.member, member_setup.approver, second_approval_above=Decimal("100"),
                       reminder_days=3)
    tablet = factories.product(unit_price="100.00", name="Tablette", vat_rate=Decimal("20.00"))
    order = submitted_order(member_setup.buyer, member_setup.school, tablet, "2")
    client = english_client(client_for, member_setup.approver)

    response = client.post(f"/orders/{order.id}/approve")

    assert response.status_code == 303
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "submitted"
    assert order.events[-1].reason == "Première approbation : un second approbateur doit aussi approuver."


def test_emails_french_in_english(member_setup, factories, client_for):
    tablet = factories.product(unit_price="100.00", name="Tablette", vat_rate=Decimal("20.00"))
    order = submitted_order(member_setup.buyer, member_setup.school, tablet, "1")
    client = english_client(client_for, member_setup.approver)

    client.post(f"/orders/{order.id}/approve")

    subjects = [row.subject for row in outbox_rows()]
    assert subjects, "no e-mail queued"
    for subject in subjects:
        assert "Commande" in subject, subject
        assert "Order" not in subject, subject


def test_pro_rata_line_name_french_in_english(member_setup, factories, monkeypatch):
    monkeypatch.setattr(timeutils, "utcnow", lambda: datetime(2027, 1, 15, 10, 0, tzinfo=timezone.utc))
    ent = factories.product(unit_price="1234.56", name="ENT école", unit="school", is_subscription=True)

    with force_locale("en"):
        order = submitted_order(member_setup.buyer, member_setup.school, ent, "1")

    [line] = order.lines
    assert line.net_amount == Decimal("720.16")
    assert line.name.startswith("ENT école")
    assert "prorata 7/12 : mois entiers de février 2027 à août 2027" in line.name
    assert "whole months" not in line.name
