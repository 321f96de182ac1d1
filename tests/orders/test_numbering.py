"""Order numbers: BC-<year>-NNNNN, gap-free, even after a rollback or under concurrency."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app import timeutils
from app.auth.models import User
from app.auth.roles import Role
from app.extensions import db
from orders import services
from orders.models import Order
from orders.states import OrderStatus

from .conftest import cart_with, submitted_order

CONCURRENT_SUBMISSIONS = 20


def test_numbers_follow_each_other(factories, setup_a, product):
    schools = [setup_a.school] + [factories.school(member=setup_a.member) for _ in range(2)]

    numbers = [submitted_order(setup_a.buyer, school, (product, "1")).number for school in schools]

    assert numbers == ["BC-2026-00001", "BC-2026-00002", "BC-2026-00003"]


def test_drafts_have_no_number(setup_a, product):
    order = cart_with(setup_a.buyer, setup_a.school, (product, "1"))

    assert order.number is None


def test_new_year_restarts_series(monkeypatch, factories, setup_a, product):
    submitted_order(setup_a.buyer, setup_a.school, (product, "1"))
    # 31 December 2026 at 23:30 UTC is already 1 January 2027 in Paris.
    monkeypatch.setattr(timeutils, "utcnow", lambda: datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc))
    other_school = factories.school(member=setup_a.member)

    order = submitted_order(setup_a.buyer, other_school, (product, "1"))

    assert order.number == "BC-2027-00001"


def _committed_setup(factories, school_count: int):
    member = factories.member()
    schools = [factories.school(member=member) for _ in range(school_count)]
    buyer = factories.user(Role.BUYER, member=member)
    product = factories.product(unit_price="10.00")
    return member, schools, buyer, product


@pytest.mark.committing
def test_rollback_leaves_no_gap(factories):
    member, schools, buyer, product = _committed_setup(factories, 2)
    first = cart_with(buyer, schools[0], (product, "1"))
    second = cart_with(buyer, schools[1], (product, "1"))
    db.session.commit()

    services.submit_order(first, buyer, first.submission_token)
    assert first.number == "BC-2026-00001"
    db.session.rollback()  # as a view does when a later step of the request fails

    services.submit_order(second, buyer, second.submission_token)
    db.session.commit()

    db.session.expire_all()
    assert db.session.get(Order, second.id).number == "BC-2026-00001"
    assert db.session.get(Order, first.id).number is None
    assert db.session.get(Order, first.id).status == OrderStatus.DRAFT.value


@pytest.mark.committing
def test_concurrent_submissions_contiguous(app, factories):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so it cannot show row-lock races")
    member, schools, buyer, product = _committed_setup(factories, CONCURRENT_SUBMISSIONS)
    carts = [cart_with(buyer, school, (product, "1")) for school in schools]
    work = [(order.id, order.submission_token) for order in carts]
    buyer_id, member_id = buyer.id, member.id
    db.session.commit()
    db.session.remove()

    barrier = threading.Barrier(CONCURRENT_SUBMISSIONS)
    errors: list[BaseException] = []

    def submit(order_id: int, token: str) -> None:
        try:
            # Start together, before taking a connection: SQLAlchemy's default pool opens at most 15.
            barrier.wait(timeout=30)
            with app.app_context():
                order = db.session.get(Order, order_id)
                user = db.session.get(User, buyer_id)
                services.submit_order(order, user, token)
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=submit, args=item) for item in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    numbers = sorted(db.session.scalars(select(Order.number).where(Order.member_id == member_id)))
    assert numbers == [f"BC-2026-{value:05d}" for value in range(1, CONCURRENT_SUBMISSIONS + 1)]
