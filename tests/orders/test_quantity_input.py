"""Quantities typed into the cart: French errors, whole units, never a 500."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest

from app import timeutils
from app.errors import ValidationFailed
from app.extensions import db
from orders import services
from orders.models import OrderLine
from orders.states import OrderStatus

from .conftest import cart_with, reload


def page_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def tablet(factories):
    return factories.product(unit_price="250.00", unit="item", name="Tablette")


@pytest.fixture
def training(factories):
    return factories.product(unit_price="650.00", unit="training_day", name="Formation ENT")


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("9" * 40, "Quantité : 9\u202f999\u202f999\u202f999"),
        ("9" * 50, "Quantité : " + "9" * 40 + "… est trop grand : 999\u202f999,999 au plus."),
        ("1000000", "Quantité : 1\u202f000\u202f000 est trop grand : 999\u202f999,999 au plus."),
        ("abc", "Quantité : « abc » n’est pas un nombre"),
        ("1e9", "Quantité : « 1e9 » n’est pas un nombre"),
        ("١٢", "Quantité : « ١٢ » n’est pas un nombre"),
        ("-2", "Quantité : -2 est négatif : saisissez un nombre positif."),
        ("1,2345", "Quantité : 1,2345 a trop de décimales : 3 décimales au plus."),
        ("1,5", "Tablette est vendu à l'unité : saisissez un nombre entier, et non 1,5."),
    ],
)
def test_cart_add_rejects_bad_quantity(setup_a, tablet, client_for, quantity, message):
    client = client_for(setup_a.buyer)
    response = client.post(
        "/orders/cart/add", data={"product_id": tablet.id, "school_id": setup_a.school.id, "quantity": quantity}
    )
    assert response.status_code == 422
    assert message in page_of(response)
    assert f'value="{quantity}"' in page_of(response)
    assert services.find_cart(setup_a.buyer, setup_a.school) is None


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("9" * 40, "est trop grand : 999\u202f999,999 au plus."),
        ("abc", "Quantité : « abc » n’est pas un nombre"),
        ("2,5", "Tablette est vendu à l'unité : saisissez un nombre entier, et non 2,5."),
    ],
)
def test_cart_line_update_rejects_bad_quantity(setup_a, tablet, client_for, quantity, message):
    order = cart_with(setup_a.buyer, setup_a.school, (tablet, "2"))
    db.session.commit()
    line_id = order.lines[0].id
    client = client_for(setup_a.buyer)
    url = f"/orders/cart/{setup_a.school.id}/lines/{line_id}/quantity"
    response = client.post(url, data={"quantity": quantity}, follow_redirects=True)
    assert response.status_code == 200
    assert message in page_of(response)
    assert reload(order).lines[0].quantity == Decimal("2")


def test_training_days_take_half_days(setup_a, training):
    line = services.add_to_cart(setup_a.buyer, setup_a.school, training, Decimal("1.5"), timeutils.today_paris())
    assert line.quantity == Decimal("1.5")
    assert line.net_amount == Decimal("975.00")
    with pytest.raises(ValidationFailed) as raised:
        services.add_to_cart(setup_a.buyer, setup_a.school, training, Decimal("0.25"), timeutils.today_paris())
    assert "Formation ENT se commande par journée de formation" in str(raised.value)
    assert "(et non 0,25)" in str(raised.value)


@pytest.mark.parametrize("unit", ["school", "class", "pupil", "item"])
def test_whole_units_reject_fractions(factories, setup_a, unit):
    product = factories.product(unit_price="10.00", unit=unit, name="Produit entier")
    with pytest.raises(ValidationFailed) as raised:
        services.add_to_cart(setup_a.buyer, setup_a.school, product, Decimal("2.5"), timeutils.today_paris())
    assert raised.value.field == "quantity"
    assert "saisissez un nombre entier, et non 2,5" in str(raised.value)


def test_fractional_line_blocks_submission(setup_a, tablet):
    order = cart_with(setup_a.buyer, setup_a.school, (tablet, "2"))
    # A line saved before the whole-unit rule existed.
    db.session.get(OrderLine, order.lines[0].id).quantity = Decimal("1.5")
    db.session.flush()
    with pytest.raises(ValidationFailed) as raised:
        services.submit_order(order, setup_a.buyer, order.submission_token)
    assert "Tablette est vendu à l'unité : saisissez un nombre entier, et non 1,5." in str(raised.value)
    assert order.status == OrderStatus.DRAFT.value
    assert order.number is None
