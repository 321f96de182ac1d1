"""Submission: one order per token, frozen lines, Chorus Pro references, cart quantities."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app import timeutils
from app.errors import ValidationFailed
from app.extensions import db
from catalog.models import ProductPrice
from members.models import ChorusRequirement, ServiceCode
from orders import services
from orders.models import Order
from orders.states import OrderStatus

from .conftest import cart_with, reload, submitted_order


def _numbered_orders() -> int:
    return db.session.scalar(select(func.count()).select_from(Order).where(Order.number.is_not(None)))


def test_same_token_twice_one_order(setup_a, product):
    order = cart_with(setup_a.buyer, setup_a.school, (product, "2"))
    token = order.submission_token

    first = services.submit_order(order, setup_a.buyer, token)
    second = services.submit_order(order, setup_a.buyer, token)

    assert first.replayed is False
    assert second.replayed is True
    assert second.order.id == first.order.id
    assert _numbered_orders() == 1
    assert reload(order).number == "BC-2026-00001"
    assert len(reload(order).events) == 1


def test_double_post_one_order(setup_a, product, client_for):
    order = cart_with(setup_a.buyer, setup_a.school, (product, "2"))
    client = client_for(setup_a.buyer)
    form = {"submission_token": order.submission_token, "service_code": "", "engagement_number": ""}
    url = f"/orders/cart/{setup_a.school.id}/submit"

    first = client.post(url, data=form)
    second = client.post(url, data=form)

    assert first.status_code == 303
    assert second.status_code == 303
    assert first.headers["Location"] == f"/orders/{order.id}"
    assert second.headers["Location"] == f"/orders/{order.id}"
    assert _numbered_orders() == 1
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "La commande BC-2026-00001 était déjà soumise." in page


def test_stale_token_refused(setup_a, product):
    order = cart_with(setup_a.buyer, setup_a.school, (product, "2"))

    with pytest.raises(ValidationFailed):
        services.submit_order(order, setup_a.buyer, "a-token-from-an-old-page")

    assert reload(order).status == OrderStatus.DRAFT.value
    assert _numbered_orders() == 0


def test_catalogue_change_leaves_order(setup_a, product):
    order = submitted_order(setup_a.buyer, setup_a.school, (product, "3"))

    product.name = "Tablette renommée"
    product.reference = "REF-CHANGED"
    product.vat_rate = Decimal("10.00")
    product.prices[0].valid_to = date(2026, 3, 9)
    product.prices.append(ProductPrice(unit_price=Decimal("80.00"), valid_from=date(2026, 3, 10)))
    db.session.flush()

    line = reload(order).lines[0]
    assert line.name == "Tablette test"
    assert line.reference != "REF-CHANGED"
    assert line.unit_price == Decimal("100.0000")
    assert line.vat_rate == Decimal("20.00")
    assert line.net_amount == Decimal("300.00")
    assert reload(order).gross_amount == Decimal("360.00")


def test_submission_copies_catalogue_values(setup_a, factories):
    contract = factories.contract(number="2026-MN-042", lot="3", sales_mode="intermediation")
    training = factories.product(
        unit_price="450.00", unit="training_day", vat_category="E", vat_rate=Decimal("0.00"),
        vat_exemption_reason="CGI art. 261-4-4° a", contract=contract, name="Formation",
    )
    order = cart_with(setup_a.buyer, setup_a.school, (training, "2"))
    # The catalogue changes between the cart and the submission: the submitted line follows it.
    training.prices[0].unit_price = Decimal("400.00")

    services.submit_order(order, setup_a.buyer, order.submission_token)

    line = reload(order).lines[0]
    assert line.unit_price == Decimal("400.0000")
    assert line.net_amount == Decimal("800.00")
    assert line.unit == "training_day"
    assert line.vat_category == "E"
    assert line.vat_exemption_reason == "CGI art. 261-4-4° a"
    assert line.contract_reference == "2026-MN-042 lot 3"
    assert line.sales_mode == "intermediation"


# (requirement, service code typed, engagement number typed, field of the expected error or None)
CHORUS_CASES = [
    ("none", "", "", None),
    ("none", "", "EJ-2026-001", None),
    ("service_code", "SERV-ECOLES", "", None),
    ("service_code", "", "EJ-2026-001", "service_code"),
    ("service_code", "UNKNOWN-CODE", "", "service_code"),
    ("engagement", "", "EJ-2026-001", None),
    ("engagement", "SERV-ECOLES", "", "engagement_number"),
    ("engagement", "", "   ", "engagement_number"),
    ("both", "SERV-ECOLES", "EJ-2026-001", None),
    ("both", "SERV-ECOLES", "", "engagement_number"),
    ("both", "", "EJ-2026-001", "service_code"),
    ("either", "SERV-ECOLES", "", None),
    ("either", "", "EJ-2026-001", None),
    ("either", "", "", "service_code"),
    ("none", "x" * 101, "", "service_code"),
    ("engagement", "", "9" * 51, "engagement_number"),
]


@pytest.mark.parametrize(("requirement", "service_code", "engagement", "error_field"), CHORUS_CASES)
def test_chorus_requirement(requirement, service_code, engagement, error_field, make_member_setup, product):
    setup = make_member_setup(chorus_requirement=requirement)
    if requirement != "none" or service_code:
        setup.member.service_codes.append(ServiceCode(code="SERV-ECOLES", label="Écoles"))
    order = cart_with(setup.buyer, setup.school, (product, "1"))

    def submit():
        services.save_references(order, service_code, engagement)
        services.submit_order(order, setup.buyer, order.submission_token)

    if error_field is None:
        submit()
        order = reload(order)
        assert order.status == OrderStatus.SUBMITTED.value
        assert order.service_code == service_code.strip()
        assert order.engagement_number == engagement.strip()
    else:
        with pytest.raises(ValidationFailed) as refused:
            submit()
        assert refused.value.field == error_field
        assert reload(order).status == OrderStatus.DRAFT.value


def test_missing_reference_named_in_french(make_member_setup):
    setup = make_member_setup(chorus_requirement=ChorusRequirement.ENGAGEMENT.value, name="Commune de Carentan")

    with pytest.raises(ValidationFailed) as refused:
        services.check_chorus_references(setup.member, "", "")

    assert str(refused.value) == (
        "Le numéro d’engagement manque : Chorus Pro l’exige sur les factures de Commune de Carentan. "
        "Saisissez-le avant de soumettre."
    )


def test_free_service_code_without_list(make_member_setup):
    setup = make_member_setup(chorus_requirement=ChorusRequirement.SERVICE_CODE.value)

    assert services.check_chorus_references(setup.member, " SERV-42 ", "") == ("SERV-42", "")


def test_inactive_service_code_refused(make_member_setup):
    setup = make_member_setup(chorus_requirement=ChorusRequirement.SERVICE_CODE.value)
    setup.member.service_codes.append(ServiceCode(code="OLD", is_active=False))
    setup.member.service_codes.append(ServiceCode(code="NEW", is_active=True))
    db.session.flush()

    with pytest.raises(ValidationFailed):
        services.check_chorus_references(setup.member, "OLD", "")
    assert services.check_chorus_references(setup.member, "NEW", "") == ("NEW", "")


@pytest.mark.parametrize(
    ("unit", "expected"),
    [("class", Decimal(5)), ("pupil", Decimal(120)), ("school", Decimal(1)), ("item", Decimal(1)),
     ("training_day", Decimal(1))],
)
def test_proposed_quantity_per_unit(unit, expected, factories, setup_a):
    product = factories.product(unit=unit)

    assert services.proposed_quantity(product, setup_a.school) == expected
    line = services.add_to_cart(setup_a.buyer, setup_a.school, product, None, timeutils.today_paris())
    assert line.quantity == expected


def test_unknown_count_needs_quantity(factories, setup_a):
    setup_a.school.pupils = None
    product = factories.product(unit="pupil", name="Compte élève")

    with pytest.raises(ValidationFailed) as refused:
        services.add_to_cart(setup_a.buyer, setup_a.school, product, None, timeutils.today_paris())

    assert refused.value.field == "quantity"
    assert services.find_cart(setup_a.buyer, setup_a.school) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("12", Decimal("12")), ("2,5", Decimal("2.5")), ("1 234,5", Decimal("1234.5")), ("0.25", Decimal("0.25")),
     ("", None)],
)
def test_quantity_parsing_accepts(typed, expected):
    assert services.parse_quantity(typed) == expected


@pytest.mark.parametrize("typed", ["0", "-1", "0,0", "abc", "1,2345", "1000000"])
def test_quantity_parsing_rejects(typed):
    with pytest.raises(ValidationFailed) as refused:
        services.parse_quantity(typed)

    assert refused.value.field == "quantity"


def test_same_product_adds_up(setup_a, product):
    order = cart_with(setup_a.buyer, setup_a.school, (product, "2"), (product, "3"))

    assert len(order.lines) == 1
    assert order.lines[0].quantity == Decimal("5")
    assert order.lines[0].net_amount == Decimal("500.00")


def test_one_cart_per_buyer_and_school(factories, setup_a, product):
    other_buyer = factories.user("buyer", member=setup_a.member)

    mine = cart_with(setup_a.buyer, setup_a.school, (product, "1"))
    again = cart_with(setup_a.buyer, setup_a.school, (product, "1"))
    theirs = cart_with(other_buyer, setup_a.school, (product, "1"))

    assert again.id == mine.id
    assert theirs.id != mine.id


def test_closed_school_refused(setup_a, product):
    setup_a.school.is_open = False

    with pytest.raises(ValidationFailed):
        services.add_to_cart(setup_a.buyer, setup_a.school, product, Decimal(1), timeutils.today_paris())
