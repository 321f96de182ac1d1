"""Order fixtures: a fixed clock, a member with a school and users, a mixed-VAT catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from app import timeutils
from app.auth.models import User
from app.auth.roles import Role
from app.extensions import db
from catalog.models import Product
from members.models import Member, School
from orders import services
from orders.models import Order
from orders.states import OrderStatus

from ..conftest import DEMO_PASSWORD

# 10 March 2026, 11:00 in Paris: orders submitted "today" are numbered in the 2026 series.
FIXED_NOW = datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc)
ORDER_YEAR = 2026


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(timeutils, "utcnow", lambda: FIXED_NOW)
    return FIXED_NOW


@dataclass
class MemberSetup:
    member: Member
    school: School
    buyer: User
    approver: User


@pytest.fixture
def make_member_setup(factories):
    """Build a member with one school (120 pupils, 5 classes), a buyer and an approver."""

    def build(**member_fields) -> MemberSetup:
        member = factories.member(**member_fields)
        school = factories.school(member=member, pupils=120, classes=5)
        buyer = factories.user(Role.BUYER, member=member, full_name="Alice Acheteuse")
        approver = factories.user(Role.APPROVER, member=member, full_name="Victor Valideur")
        return MemberSetup(member=member, school=school, buyer=buyer, approver=approver)

    return build


@pytest.fixture
def setup_a(make_member_setup) -> MemberSetup:
    return make_member_setup(name="Commune de Saint-Lô test")


@pytest.fixture
def setup_b(make_member_setup) -> MemberSetup:
    return make_member_setup(name="Commune de Coutances test")


@pytest.fixture
def product(factories) -> Product:
    return factories.product(unit_price="100.00", name="Tablette test", vat_rate=Decimal("20.00"))


def cart_with(buyer: User, school: School, *items: tuple[Product, str]) -> Order:
    """Fill ``buyer``'s cart for ``school`` with (product, quantity) pairs."""
    for product, quantity in items:
        services.add_to_cart(buyer, school, product, Decimal(quantity), timeutils.today_paris())
    return services.find_cart(buyer, school)


def submitted_order(buyer: User, school: School, *items: tuple[Product, str]) -> Order:
    order = cart_with(buyer, school, *items)
    services.submit_order(order, buyer, order.submission_token)
    assert order.status == OrderStatus.SUBMITTED.value
    return order


def pdf_text(data: bytes) -> str:
    """Extract the text of a PDF, with the French non-breaking spaces turned into spaces."""
    reader = PdfReader(BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def login_client(app, user: User):
    """Return a new test client logged in as ``user`` through the real login form."""
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"login of {user.email} failed: {response.status_code}"
    return client


@pytest.fixture
def client_for(app):
    return lambda user: login_client(app, user)


def reload(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)
