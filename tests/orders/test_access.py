"""Access to every orders route: another member gets 404, centrale roles see all orders."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.auth.roles import Role
from orders import services
from orders.models import Order
from orders.states import OrderStatus

from .conftest import cart_with, reload, submitted_order


@dataclass
class MemberAOrders:
    submitted: Order
    approved: Order
    cart: Order


@pytest.fixture
def orders_a(factories, setup_a, product) -> MemberAOrders:
    second_school = factories.school(member=setup_a.member)
    third_school = factories.school(member=setup_a.member)
    submitted = submitted_order(setup_a.buyer, setup_a.school, (product, "1"))
    approved = submitted_order(setup_a.buyer, second_school, (product, "2"))
    services.transition(approved, OrderStatus.APPROVED, setup_a.approver)
    cart = cart_with(setup_a.buyer, third_school, (product, "3"))
    return MemberAOrders(submitted=submitted, approved=approved, cart=cart)


def member_routes(orders: MemberAOrders, product, own_school_id: int):
    """(method, url, form data) of every orders route aimed at member A's objects."""
    submitted, cart = orders.submitted, orders.cart
    cart_line = cart.lines[0].id
    return [
        ("GET", f"/orders/{submitted.id}", None),
        ("GET", f"/orders/{orders.approved.id}", None),
        ("GET", f"/orders/{cart.id}", None),
        ("GET", f"/orders/{submitted.id}/purchase-order.pdf", None),
        ("GET", f"/orders/{orders.approved.id}/purchase-order.pdf", None),
        ("GET", f"/orders/cart/{cart.school_id}", None),
        ("POST", "/orders/cart/add", {"product_id": product.id, "school_id": cart.school_id, "quantity": "1"}),
        ("POST", f"/orders/cart/{cart.school_id}/lines/{cart_line}/quantity", {"quantity": "9"}),
        ("POST", f"/orders/cart/{cart.school_id}/lines/{cart_line}/remove", {}),
        ("POST", f"/orders/cart/{own_school_id}/lines/{cart_line}/quantity", {"quantity": "9"}),
        ("POST", f"/orders/cart/{own_school_id}/lines/{cart_line}/remove", {}),
        ("POST", f"/orders/cart/{cart.school_id}/submit", {"submission_token": cart.submission_token}),
        ("POST", f"/orders/{submitted.id}/cancel", {"reason": "test"}),
        ("POST", f"/orders/{orders.approved.id}/cancel", {"reason": "test"}),
        ("POST", f"/orders/{cart.id}/cancel", {"reason": "test"}),
        ("POST", f"/orders/{submitted.id}/reopen", {}),
    ]


DECISION_ROUTES = ("approve", "reject")


def send(client, method: str, url: str, data):
    return client.get(url) if method == "GET" else client.post(url, data=data or {})


def snapshot(order: Order):
    order = reload(order)
    return (order.status, order.number, len(order.events), [(line.id, line.quantity) for line in order.lines])


@pytest.mark.parametrize("role", [Role.BUYER, Role.APPROVER])
def test_other_member_gets_404(role, orders_a, setup_a, setup_b, product, client_for):
    user = setup_b.buyer if role == Role.BUYER else setup_b.approver
    # Member B's own cart exists, so a line id of A's cart cannot be mistaken for a missing cart.
    cart_with(setup_b.buyer, setup_b.school, (product, "1"))
    client = client_for(user)
    before = [snapshot(order) for order in (orders_a.submitted, orders_a.approved, orders_a.cart)]

    for method, url, data in member_routes(orders_a, product, setup_b.school.id):
        response = send(client, method, url, data)
        assert response.status_code == 404, f"{role.value} {method} {url}: {response.status_code}"

    for action in DECISION_ROUTES:
        response = client.post(f"/orders/{orders_a.submitted.id}/{action}", data={"reason": "test"})
        expected = 404 if role == Role.APPROVER else 403
        assert response.status_code == expected, f"{role.value} POST {action}: {response.status_code}"

    after = [snapshot(order) for order in (orders_a.submitted, orders_a.approved, orders_a.cart)]
    assert after == before


def test_same_member_other_user_cart_404(factories, orders_a, setup_a, client_for):
    colleague = factories.user(Role.BUYER, member=setup_a.member)
    client = client_for(colleague)

    assert client.get(f"/orders/{orders_a.cart.id}").status_code == 404
    assert client.get(f"/orders/{orders_a.cart.id}/purchase-order.pdf").status_code == 404
    assert client.get(f"/orders/{orders_a.submitted.id}").status_code == 200


def test_member_list_shows_own_orders(orders_a, setup_a, setup_b, product, client_for):
    order_b = submitted_order(setup_b.buyer, setup_b.school, (product, "1"))

    page_b = client_for(setup_b.approver).get(
        f"/orders?member_id={setup_a.member.id}&school_id={setup_a.school.id}"
    ).get_data(as_text=True)
    page_b_all = client_for(setup_b.buyer).get("/orders").get_data(as_text=True)

    for number in (orders_a.submitted.number, orders_a.approved.number):
        assert number not in page_b
        assert number not in page_b_all
    assert order_b.number in page_b_all


@pytest.mark.parametrize("role", [Role.CATALOG_MANAGER, Role.FINANCE, Role.ADMIN])
def test_centrale_roles_see_all(role, factories, orders_a, setup_b, product, client_for):
    order_b = submitted_order(setup_b.buyer, setup_b.school, (product, "1"))
    client = client_for(factories.user(role))

    page = client.get("/orders").get_data(as_text=True)
    filtered = client.get(f"/orders?member_id={setup_b.member.id}").get_data(as_text=True)

    for number in (orders_a.submitted.number, orders_a.approved.number, order_b.number):
        assert number in page
    assert order_b.number in filtered
    assert orders_a.submitted.number not in filtered
    assert client.get(f"/orders/{orders_a.submitted.id}").status_code == 200
    assert client.get(f"/orders/{orders_a.approved.id}/purchase-order.pdf").status_code == 200
    assert client.get(f"/orders/{orders_a.cart.id}").status_code == 404
    assert client.get("/orders/new").status_code == 403


@pytest.mark.parametrize("role", [Role.CATALOG_MANAGER, Role.FINANCE])
def test_centrale_non_admin_cannot_decide(role, factories, orders_a, client_for):
    client = client_for(factories.user(role))
    before = snapshot(orders_a.submitted)

    assert client.post(f"/orders/{orders_a.submitted.id}/approve").status_code == 403
    assert client.post(f"/orders/{orders_a.submitted.id}/reject", data={"reason": "x"}).status_code == 403
    assert client.post(f"/orders/{orders_a.approved.id}/cancel", data={"reason": "x"}).status_code == 403
    assert snapshot(orders_a.submitted) == before


def test_admin_cannot_approve(factories, orders_a, client_for):
    client = client_for(factories.user(Role.ADMIN))

    assert client.post(f"/orders/{orders_a.submitted.id}/approve").status_code == 403
    assert reload(orders_a.submitted).status == OrderStatus.SUBMITTED.value


def test_anonymous_redirected_to_login(client, orders_a):
    for url in ("/orders", f"/orders/{orders_a.submitted.id}", f"/orders/{orders_a.approved.id}/purchase-order.pdf"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
