"""`flask demo load` issues the closed campaign's invoices, credit notes and payments once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from invoicing.models import Invoice, Payment
from members.models import Member
from orders.campaign_models import Campaign, Settlement
from tests.demo.test_demo_load import DEMO_PASSWORD, run_cli  # noqa: F401 (run_cli is a fixture)

ABLON_SIREN = "211400015"
MERVILLE_SIREN = "211404090"


def documents() -> list[tuple]:
    return db.session.execute(
        select(
            Invoice.number,
            Invoice.kind,
            Invoice.status,
            Invoice.issue_date,
            Member.siren,
            Invoice.gross_amount,
            Invoice.paid_amount,
            Invoice.credited_amount,
        )
        .join(Member, Member.id == Invoice.member_id)
        .order_by(Invoice.id)
    ).all()


def test_demo_finance_documents(run_cli):
    run_cli("demo", "load")

    rows = documents()
    assert [(number, kind, siren) for number, kind, _status, _day, siren, *_rest in rows] == [
        ("FA-2026-00001", "invoice", ABLON_SIREN),
        ("FA-2026-00002", "invoice", MERVILLE_SIREN),
        ("AV-2026-00001", "credit_note", ABLON_SIREN),
        ("AV-2026-00002", "credit_note", MERVILLE_SIREN),
    ]
    assert [row[3] for row in rows] == [date(2026, 1, 15)] * 2 + [date(2026, 2, 16)] * 2
    credit_notes = Invoice.query.filter_by(kind="credit_note").order_by(Invoice.number).all()
    assert [note.credited_invoice.number for note in credit_notes] == ["FA-2026-00001", "FA-2026-00002"]
    closed = Campaign.query.filter_by(name="ENT 2025-2026").one()
    assert closed.status == "closed"
    invoiced = db.session.scalar(select(func.count()).select_from(Settlement).where(Settlement.invoiced.is_(True)))
    assert invoiced == 2


def test_demo_finance_payments(run_cli):
    run_cli("demo", "load")

    paid, partly_paid = Invoice.query.filter_by(kind="invoice").order_by(Invoice.number).all()
    assert paid.status == "paid"
    assert paid.balance == Decimal("0.00")
    assert paid.paid_amount == paid.gross_amount - paid.credited_amount
    assert partly_paid.status == "partly_paid"
    assert partly_paid.paid_amount > 0
    assert partly_paid.balance == partly_paid.gross_amount - partly_paid.credited_amount - partly_paid.paid_amount
    assert partly_paid.balance > 0
    assert Payment.query.count() == 2


def test_demo_finance_load_twice(run_cli):
    run_cli("demo", "load")
    first = (documents(), Payment.query.count(), Settlement.query.filter_by(invoiced=True).count())

    result = run_cli("demo", "load")

    assert (documents(), Payment.query.count(), Settlement.query.filter_by(invoiced=True).count()) == first
    assert "Finance : 0 factures" in result.output


def test_demo_finance_screen_explains_sirets(run_cli, login):
    run_cli("demo", "load")
    closed = Campaign.query.filter_by(name="ENT 2025-2026").one()
    user = User.query.filter_by(email="finance@demo.centrale.test").one()
    client = login(user, password=DEMO_PASSWORD)

    html = client.get(f"/invoices/settlements?campaign_id={closed.id}").get_data(as_text=True)

    assert "Saint-Lô" in html
    assert "flask members import-sirets" in html
    assert "AV-2026-00001" in html
    assert "FA-2026-00002" in html
