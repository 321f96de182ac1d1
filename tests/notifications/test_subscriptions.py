"""ENT subscriptions: pro rata of the whole months left, creation on approval, renewals."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from app import timeutils
from app.extensions import db
from app.mail import send_pending
from orders import services, subscriptions
from orders.states import OrderStatus
from orders.subscriptions import Subscription

from .conftest import body_text, outbox_rows, submitted_order

# 15 January 2027, 11:00 in Paris: during the school year 2026-2027.
JANUARY_15 = datetime(2027, 1, 15, 10, 0, tzinfo=timezone.utc)
# 1 June 2027, 06:30 in Paris: the renewal job's first run for 2027-2028.
JUNE_1_RUN = datetime(2027, 6, 1, 4, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "order_day, months",
    [
        (date(2026, 6, 20), 12),  # before the school year
        (date(2026, 9, 1), 12),
        (date(2026, 9, 2), 11),
        (date(2027, 1, 15), 7),  # February to August
        (date(2027, 2, 1), 7),  # February starts on the order date: it counts
        (date(2027, 2, 2), 6),
        (date(2027, 8, 1), 1),
        (date(2027, 8, 31), 0),
    ],
)
def test_pro_rata_months(order_day, months):
    assert subscriptions.pro_rata_months(order_day, 2026) == months


def test_pro_rata_to_the_cent():
    assert subscriptions.pro_rata_amount(Decimal("1234.56"), 7) == Decimal("720.16")
    assert subscriptions.pro_rata_amount(Decimal("1000.00"), 7) == Decimal("583.33")
    assert subscriptions.pro_rata_amount(Decimal("1234.56"), 12) == Decimal("1234.56")


@pytest.fixture
def ent_per_school(factories):
    return factories.product(unit_price="1234.56", name="ENT école", unit="school", is_subscription=True)


@pytest.fixture
def ent_per_pupil(factories):
    return factories.product(unit_price="3.50", name="ENT comptes élèves", unit="pupil", is_subscription=True)


@pytest.fixture
def january(monkeypatch):
    monkeypatch.setattr(timeutils, "utcnow", lambda: JANUARY_15)
    return JANUARY_15


def test_school_joining_in_january_pays_seven_twelfths(member_setup, ent_per_school, factories, january):
    tablet = factories.product(unit_price="100.00", name="Tablette")
    services.add_to_cart(member_setup.buyer, member_setup.school, tablet, Decimal("1"), january.date())

    order = submitted_order(member_setup.buyer, member_setup.school, ent_per_school, "1")

    ent_line = next(line for line in order.lines if line.product_id == ent_per_school.id)
    tablet_line = next(line for line in order.lines if line.product_id == tablet.id)
    assert ent_line.unit_price == Decimal("720.1600")
    assert ent_line.net_amount == Decimal("720.16")
    assert "prorata 7/12 : mois entiers de février 2027 à août 2027" in ent_line.name
    assert tablet_line.net_amount == Decimal("100.00")
    assert order.net_amount == Decimal("820.16")


def test_cart_total_equals_submitted_total(member_setup, ent_per_school, ent_per_pupil, factories, january):
    tablet = factories.product(unit_price="100.00", name="Tablette")
    for product, quantity in ((tablet, "1"), (ent_per_school, "1"), (ent_per_pupil, "123")):
        services.add_to_cart(member_setup.buyer, member_setup.school, product, Decimal(quantity), january.date())
    order = services.find_cart(member_setup.buyer, member_setup.school)

    cart = services.build_cart(member_setup.school, order, january.date())

    amounts = {item.line.product_id: item.net_amount for item in cart.lines}
    assert amounts == {tablet.id: Decimal("100.00"), ent_per_school.id: Decimal("720.16"), ent_per_pupil.id: Decimal("251.13")}
    notes = {item.line.product_id: item.pro_rata_note for item in cart.lines}
    assert notes[tablet.id] is None
    assert notes[ent_per_school.id].startswith("prorata 7/12 : mois entiers de février 2027 à août 2027")
    assert cart.totals.net_amount == Decimal("1071.29")
    cart_gross = cart.totals.gross_amount

    services.submit_order(order, member_setup.buyer, order.submission_token)

    assert order.net_amount == Decimal("1071.29")
    assert order.gross_amount == cart_gross


def test_cart_page_shows_pro_rata(member_setup, ent_per_school, login, january):
    services.add_to_cart(member_setup.buyer, member_setup.school, ent_per_school, Decimal("1"), january.date())
    client = login(member_setup.buyer)

    page = client.get(f"/orders/cart/{member_setup.school.id}").get_data(as_text=True)

    assert "720,16" in page
    assert "prorata 7/12 : mois entiers de février 2027 à août 2027" in page


def test_approval_creates_subscription(member_setup, ent_per_school, january):
    order = submitted_order(member_setup.buyer, member_setup.school, ent_per_school, "1")

    services.transition(order, OrderStatus.APPROVED, member_setup.approver)

    [subscription] = db.session.scalars(select(Subscription)).all()
    assert subscription.school_id == member_setup.school.id
    assert subscription.school_year == 2026
    assert subscription.starts_on == date(2027, 2, 1)
    assert subscription.ends_on == date(2027, 8, 31)
    assert subscription.months_paid == 7
    assert subscription.quantity == Decimal("1")
    assert subscriptions.create_subscriptions(order) == []  # once per line


def test_non_subscription_creates_nothing(member_setup, factories, january):
    tablet = factories.product(unit_price="100.00")
    order = submitted_order(member_setup.buyer, member_setup.school, tablet, "2")

    services.transition(order, OrderStatus.APPROVED, member_setup.approver)

    assert db.session.scalars(select(Subscription)).all() == []


def approved_subscription(member_setup, product, quantity):
    order = submitted_order(member_setup.buyer, member_setup.school, product, quantity)
    services.transition(order, OrderStatus.APPROVED, member_setup.approver)
    return db.session.scalars(select(Subscription).where(Subscription.order_id == order.id)).one()


def test_renewal_sized_on_new_counts(member_setup, ent_per_school, ent_per_pupil, january, monkeypatch, smtp_server):
    per_pupil = approved_subscription(member_setup, ent_per_pupil, "120")
    per_school = approved_subscription(member_setup, ent_per_school, "1")
    member_setup.school.pupils = 134
    member_setup.school.classes = 6
    monkeypatch.setattr(timeutils, "utcnow", lambda: JUNE_1_RUN)

    summary = subscriptions.prepare_renewals(JUNE_1_RUN)

    assert summary == "2 renewals prepared, 0 skipped"
    cart = services.find_cart(member_setup.buyer, member_setup.school)
    quantities = {line.product_id: line.quantity for line in cart.lines}
    assert quantities == {ent_per_pupil.id: Decimal("134"), ent_per_school.id: Decimal("1")}
    assert per_pupil.renewal_order_id == cart.id
    assert per_school.renewal_order_id == cart.id
    assert subscriptions.renewal_school_year(cart) == 2027

    send_pending(now=JUNE_1_RUN)
    renewal_mails = [message for message in smtp_server.messages if "Renouvellement" in message["Subject"]]
    assert sorted(message["Subject"] for message in renewal_mails) == [
        "Renouvellement 2027-2028 à vérifier : ENT comptes élèves pour École du Bourg",
        "Renouvellement 2027-2028 à vérifier : ENT école pour École du Bourg",
    ]
    assert all(message["To"] == "alice@saint-lo.test" for message in renewal_mails)
    text = body_text(next(message for message in renewal_mails if "élèves" in message["Subject"]))
    assert "134 unités" in text
    assert f"http://127.0.0.1:5000/orders/cart/{member_setup.school.id}" in text


def test_renewal_runs_once(member_setup, ent_per_pupil, january, monkeypatch):
    approved_subscription(member_setup, ent_per_pupil, "120")
    monkeypatch.setattr(timeutils, "utcnow", lambda: JUNE_1_RUN)

    subscriptions.prepare_renewals(JUNE_1_RUN)
    second = subscriptions.prepare_renewals(JUNE_1_RUN)

    assert second == "0 renewals prepared, 0 skipped"
    cart = services.find_cart(member_setup.buyer, member_setup.school)
    assert [line.quantity for line in cart.lines] == [Decimal("120")]
    assert len(outbox_rows("renewal_prepared")) == 1


def test_no_renewal_before_june(member_setup, ent_per_pupil, january):
    approved_subscription(member_setup, ent_per_pupil, "120")
    may_31 = datetime(2027, 5, 31, 4, 30, tzinfo=timezone.utc)

    assert subscriptions.prepare_renewals(may_31) == "renewals of 2026-2027 open on 2027-06-01"
    assert services.find_cart(member_setup.buyer, member_setup.school) is None


def test_renewal_start_is_configurable(member_setup, ent_per_pupil, january, app, monkeypatch):
    approved_subscription(member_setup, ent_per_pupil, "120")
    monkeypatch.setitem(app.config, "RENEWAL_START", (5, 15))

    summary = subscriptions.prepare_renewals(datetime(2027, 5, 15, 4, 30, tzinfo=timezone.utc))

    assert summary == "1 renewals prepared, 0 skipped"


def test_submitted_renewal_pays_full_year(member_setup, ent_per_school, january, monkeypatch):
    approved_subscription(member_setup, ent_per_school, "1")
    monkeypatch.setattr(timeutils, "utcnow", lambda: JUNE_1_RUN)
    subscriptions.prepare_renewals(JUNE_1_RUN)
    cart = services.find_cart(member_setup.buyer, member_setup.school)

    services.submit_order(cart, member_setup.buyer, cart.submission_token)
    services.transition(cart, OrderStatus.APPROVED, member_setup.approver)

    assert cart.lines[0].net_amount == Decimal("1234.56")
    next_year = db.session.scalars(select(Subscription).where(Subscription.order_id == cart.id)).one()
    assert next_year.school_year == 2027
    assert next_year.months_paid == 12
    assert next_year.starts_on == date(2027, 9, 1)


def test_closed_school_not_renewed(member_setup, ent_per_school, january, monkeypatch):
    approved_subscription(member_setup, ent_per_school, "1")
    member_setup.school.is_open = False

    assert subscriptions.prepare_renewals(JUNE_1_RUN) == "0 renewals prepared, 1 skipped"
