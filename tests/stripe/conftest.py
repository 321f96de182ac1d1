"""Stripe fixtures: the fake Stripe API on 127.0.0.1, the settings pointing at it, issued
invoices, and webhook events signed the way Stripe signs them."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from datetime import date
from decimal import Decimal

import pytest

from app.auth.roles import Role
from app.extensions import db
from invoicing.models import Invoice

from .fake_stripe import FakeStripe

API_KEY = "sk_test_centrale"
WEBHOOK_SECRET = "whsec_test_centrale"
WEBHOOK_PATH = "/payments/stripe/webhook"

_numbers = itertools.count(1)
_events = itertools.count(1)


@pytest.fixture
def fake_stripe():
    server = FakeStripe(api_key=API_KEY)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stripe_on(app, fake_stripe, monkeypatch) -> FakeStripe:
    """Turn online payment on, with the SDK pointed at the fake server."""
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", API_KEY)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setitem(app.config, "STRIPE_PAYMENT_METHODS", ("card", "sepa_debit"))
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", fake_stripe.base_url)
    return fake_stripe


@pytest.fixture
def stripe_off(app, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", None)


class InvoiceMaker:
    """Issued invoices built directly: the Stripe code reads only their amounts and status."""

    def __init__(self, factories) -> None:
        self.factories = factories

    def issued(self, member=None, gross: str = "120.00", issue_date: date = date(2026, 4, 1)) -> Invoice:
        member = member or self.factories.member()
        gross_amount = Decimal(gross)
        net_amount = (gross_amount / Decimal("1.2")).quantize(Decimal("0.01"))
        invoice = Invoice(
            kind="invoice",
            number=f"FA-2026-{next(_numbers) + 70000:05d}",
            status="issued",
            member=member,
            subject="Abonnement ENT",
            issue_date=issue_date,
            due_date=date(2026, 5, 1),
            buyer_name=member.name,
            buyer_siren=member.siren,
            net_amount=net_amount,
            vat_amount=gross_amount - net_amount,
            gross_amount=gross_amount,
        )
        db.session.add(invoice)
        db.session.flush()
        return invoice


@pytest.fixture
def invoices(factories) -> InvoiceMaker:
    return InvoiceMaker(factories)


@pytest.fixture
def member_buyer(factories):
    member = factories.member()
    return factories.user(Role.BUYER, member=member)


def make_event(event_type: str, data_object: dict, event_id: str | None = None, created: int | None = None) -> dict:
    return {
        "id": event_id or f"evt_test_{next(_events):06d}",
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": created or int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": data_object},
    }


def signature_header(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Sign as Stripe does: v1 is the hex HMAC-SHA256 of "<timestamp>.<payload>"."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver(client, event: dict, **signing):
    """POST the event to the webhook, signed, as Stripe delivers it."""
    payload = json.dumps(event)
    return client.post(
        WEBHOOK_PATH,
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": signature_header(payload, **signing)},
    )
