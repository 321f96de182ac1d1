"""The same webhook event delivered three times, two of them at once, with real commits."""

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from invoicing import stripe_service
from invoicing.models import Invoice, Payment
from invoicing.stripe_models import StripeEvent

from .conftest import deliver, make_event


@pytest.mark.committing
def test_concurrent_duplicates_recorded_once(app, stripe_on, invoices, member_buyer):
    invoice = invoices.issued(member=member_buyer.member, gross="250.00")
    session = stripe_service.start_checkout(
        invoice, actor=member_buyer, success_url="http://127.0.0.1/ok", cancel_url="http://127.0.0.1/cancel"
    )
    stripe_on.pay_session(session.session_id)
    event = make_event("checkout.session.completed", stripe_on.sessions[session.session_id])
    invoice_id = invoice.id
    db.session.commit()
    db.session.remove()

    barrier = threading.Barrier(2)
    statuses: list[int] = []
    errors: list[str] = []

    def deliver_at_once() -> None:
        try:
            client = app.test_client()
            barrier.wait(timeout=30)
            statuses.append(deliver(client, event).status_code)
        except Exception as error:  # collected so that the main thread reports it
            errors.append(repr(error))

    threads = [threading.Thread(target=deliver_at_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses.append(deliver(app.test_client(), event).status_code)

    assert errors == []
    assert statuses == [200, 200, 200]
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1
    payments = db.session.scalars(select(Payment).where(Payment.invoice_id == invoice_id)).all()
    assert [payment.amount for payment in payments] == [Decimal("250.00")]
    assert db.session.get(Invoice, invoice_id).status == "paid"
