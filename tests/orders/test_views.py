"""The order screens driven over HTTP: pick a school, fill the cart, submit, decide, download."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

import pytest
from flask import current_app

from app.extensions import db
from app.pdf import sha256_hex
from members.models import ChorusRequirement, ServiceCode
from orders import services
from orders.models import Order
from orders.states import OrderStatus

from .conftest import cart_with, pdf_text, reload, submitted_order


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def catalogue(factories):
    return {
        "ent": factories.product(unit_price="2.50", unit="pupil", name="Compte ENT élève"),
        "class": factories.product(unit_price="30.00", unit="class", name="Licence classe"),
        "tablet": factories.product(unit_price="250.00", unit="item", name="Tablette"),
        "training": factories.product(unit_price="250.00", unit="training_day", name="Formation"),
    }


def test_pick_school_lists_and_searches(factories, setup_a, client_for):
    other = factories.school(member=setup_a.member, name="École Jules Ferry", commune_name="Coutances")
    factories.school(member=setup_a.member, name="École fermée", is_open=False)
    client = client_for(setup_a.buyer)

    page = text_of(client.get("/orders/new"))
    searched = text_of(client.get("/orders/new?q=coutances"))

    assert f"Commander pour {setup_a.school.name}" in page
    assert "Commander pour École Jules Ferry" in page
    assert "École fermée" not in page
    assert "Commander pour École Jules Ferry" in searched
    assert setup_a.school.name not in searched
    assert other.uai in searched


def test_cart_flow_over_http(setup_a, catalogue, client_for):
    client = client_for(setup_a.buyer)
    school_id = setup_a.school.id
    cart_url = f"/orders/cart/{school_id}"

    page = text_of(client.get(cart_url))
    assert "Ajouter au panier" in page
    assert "quantité proposée : 120" in page

    proposed = client.post("/orders/cart/add", data={"product_id": catalogue["ent"].id, "school_id": school_id})
    decimal_comma = client.post(
        "/orders/cart/add", data={"product_id": catalogue["training"].id, "school_id": school_id, "quantity": "2,5"}
    )
    zero = client.post(
        "/orders/cart/add", data={"product_id": catalogue["class"].id, "school_id": school_id, "quantity": "0"}
    )

    assert proposed.status_code == 303
    assert decimal_comma.status_code == 303
    assert zero.status_code == 422
    assert "La quantité doit être supérieure à 0" in text_of(zero)
    order = services.find_cart(setup_a.buyer, setup_a.school)
    quantities = {line.name: line.quantity for line in order.lines}
    assert quantities == {"Compte ENT élève": Decimal("120"), "Formation": Decimal("2.5")}

    page = text_of(client.get(cart_url))
    # 120 x 2.50 + 2.5 x 250.00 = 925.00 excluding VAT, 185.00 VAT, 1 110.00 including VAT.
    assert "925,00\u00a0€" in page
    assert "1\u202f110,00\u00a0€" in page
    assert "Soumettre la commande" in page

    training_line = next(line for line in order.lines if line.name == "Formation")
    changed = client.post(f"{cart_url}/lines/{training_line.id}/quantity", data={"quantity": "1"})
    assert changed.status_code == 303
    assert reload(order).lines[1].quantity == Decimal("1")
    removed = client.post(f"{cart_url}/lines/{training_line.id}/remove")
    assert removed.status_code == 303
    assert [line.name for line in reload(order).lines] == ["Compte ENT élève"]


def test_submit_missing_reference_keeps_input(make_member_setup, catalogue, client_for):
    setup = make_member_setup(chorus_requirement=ChorusRequirement.ENGAGEMENT.value)
    order = cart_with(setup.buyer, setup.school, (catalogue["tablet"], "1"))
    client = client_for(setup.buyer)
    url = f"/orders/cart/{setup.school.id}/submit"

    refused = client.post(url, data={"submission_token": order.submission_token, "buyer_note": "Pour la rentrée"})
    accepted = client.post(
        url, data={"submission_token": order.submission_token, "engagement_number": "EJ-2026-17"}
    )

    assert refused.status_code == 422
    assert "Le numéro d’engagement manque" in text_of(refused)
    assert "Pour la rentrée" in text_of(refused)
    assert accepted.status_code == 303
    order = reload(order)
    assert order.status == OrderStatus.SUBMITTED.value
    assert order.engagement_number == "EJ-2026-17"


def test_service_code_chosen_from_list(make_member_setup, catalogue, client_for):
    setup = make_member_setup(chorus_requirement=ChorusRequirement.SERVICE_CODE.value)
    setup.member.service_codes.append(ServiceCode(code="SC-ECOLES", label="Service des écoles"))
    db.session.flush()
    order = cart_with(setup.buyer, setup.school, (catalogue["tablet"], "1"))
    client = client_for(setup.buyer)

    page = text_of(client.get(f"/orders/cart/{setup.school.id}"))
    response = client.post(
        f"/orders/cart/{setup.school.id}/submit",
        data={"submission_token": order.submission_token, "service_code": "SC-ECOLES"},
    )

    assert re.search(r'<select[^>]*name="service_code"', page)
    assert "SC-ECOLES – Service des écoles" in page
    assert response.status_code == 303
    assert reload(order).service_code == "SC-ECOLES"


def test_approver_decides_over_http(setup_a, catalogue, client_for):
    order = submitted_order(setup_a.buyer, setup_a.school, (catalogue["tablet"], "2"))
    client = client_for(setup_a.approver)

    listing = text_of(client.get("/orders?status=to_approve"))
    detail = text_of(client.get(f"/orders/{order.id}"))
    no_reason = client.post(f"/orders/{order.id}/reject", data={"reason": ""})
    approved = client.post(f"/orders/{order.id}/approve")

    assert order.number in listing
    assert "À valider (1)" in listing
    assert "En attente de validation" in detail
    assert "Valider la commande" in detail
    assert "Refuser la commande" in detail
    assert no_reason.status_code == 303
    assert approved.status_code == 303
    page = text_of(client.get(approved.headers["Location"]))
    assert "Commande BC-2026-00001 validée." in page
    assert "Validée" in page
    assert "Télécharger le bon de commande (PDF)" in page
    assert reload(order).status == OrderStatus.APPROVED.value
    assert [event.to_status for event in reload(order).events] == ["submitted", "approved"]


def test_buyer_sees_no_decision_buttons(setup_a, catalogue, client_for):
    order = submitted_order(setup_a.buyer, setup_a.school, (catalogue["tablet"], "1"))

    page = text_of(client_for(setup_a.buyer).get(f"/orders/{order.id}"))

    assert "Valider la commande" not in page
    assert "Refuser la commande" not in page
    assert "Annuler la commande" in page


def test_self_approval_refused_over_http(make_member_setup, catalogue, client_for):
    setup = make_member_setup()
    order = submitted_order(setup.approver, setup.school, (catalogue["tablet"], "1"))
    client = client_for(setup.approver)

    response = client.post(f"/orders/{order.id}/approve")

    assert response.status_code == 303
    assert "Vous avez passé cette commande" in text_of(client.get(response.headers["Location"]))
    assert reload(order).status == OrderStatus.SUBMITTED.value


def test_list_filters(factories, setup_a, catalogue, client_for):
    other_school = factories.school(member=setup_a.member, name="École du Port")
    first = submitted_order(setup_a.buyer, setup_a.school, (catalogue["tablet"], "1"))
    second = submitted_order(setup_a.buyer, other_school, (catalogue["tablet"], "1"))
    services.transition(second, OrderStatus.APPROVED, setup_a.approver)
    client = client_for(setup_a.approver)

    by_school = text_of(client.get(f"/orders?school_id={other_school.id}"))
    by_status = text_of(client.get("/orders?status=submitted"))
    in_period = text_of(client.get("/orders?submitted_from=2026-03-10&submitted_to=2026-03-10"))
    after_period = text_of(client.get("/orders?submitted_from=2026-03-11"))

    assert second.number in by_school
    assert first.number not in by_school
    assert first.number in by_status
    assert second.number not in by_status
    assert first.number in in_period
    assert second.number in in_period
    assert first.number not in after_period
    assert second.number not in after_period


def test_pdf_served_unchanged_after_approval(app, setup_a, catalogue, client_for):
    order = submitted_order(setup_a.buyer, setup_a.school, (catalogue["tablet"], "2"))
    services.transition(order, OrderStatus.APPROVED, setup_a.approver)
    stored_sha = reload(order).purchase_order_sha256
    client = client_for(setup_a.buyer)

    first = client.get(f"/orders/{order.id}/purchase-order.pdf")
    catalogue["tablet"].name = "Tablette renommée"
    setup_a.member.name = "Commune nouvelle"
    identity = current_app.config["CENTRALE_IDENTITY"]
    app.config["CENTRALE_IDENTITY"] = dataclasses.replace(identity, name="Autre centrale")
    try:
        db.session.flush()
        second = client.get(f"/orders/{order.id}/purchase-order.pdf")
    finally:
        app.config["CENTRALE_IDENTITY"] = identity

    assert first.status_code == 200
    assert first.mimetype == "application/pdf"
    assert 'filename="bon-de-commande-BC-2026-00001.pdf"' in first.headers["Content-Disposition"]
    assert sha256_hex(first.data) == stored_sha
    assert sha256_hex(second.data) == stored_sha
    assert "Tablette renommée" not in pdf_text(second.data)
    assert "Tablette" in pdf_text(second.data)


def test_cart_has_no_pdf(setup_a, catalogue, client_for):
    order = cart_with(setup_a.buyer, setup_a.school, (catalogue["tablet"], "1"))

    response = client_for(setup_a.buyer).get(f"/orders/{order.id}/purchase-order.pdf")

    assert response.status_code == 404


def test_submitted_pdf_awaits_approval(setup_a, catalogue, client_for):
    order = submitted_order(setup_a.buyer, setup_a.school, (catalogue["tablet"], "1"))

    response = client_for(setup_a.approver).get(f"/orders/{order.id}/purchase-order.pdf")

    assert response.status_code == 200
    assert "en attente de validation" in pdf_text(response.data)
    assert reload(order).purchase_order_pdf is None


def test_reopen_and_cancel_cart(setup_a, catalogue, client_for):
    order = submitted_order(setup_a.buyer, setup_a.school, (catalogue["tablet"], "1"))
    services.transition(order, OrderStatus.REJECTED, setup_a.approver, reason="Mauvaise école")
    client = client_for(setup_a.buyer)

    reopened = client.post(f"/orders/{order.id}/reopen")
    abandoned = client.post(f"/orders/{order.id}/cancel", data={"reason": ""})

    assert reopened.status_code == 303
    assert reopened.headers["Location"] == f"/orders/cart/{setup_a.school.id}"
    assert abandoned.status_code == 303
    order = reload(order)
    assert order.status == OrderStatus.CANCELLED.value
    assert order.number == "BC-2026-00001"


def test_english_interface_french_pdf(setup_a, catalogue, client_for):
    order = submitted_order(setup_a.buyer, setup_a.school, (catalogue["tablet"], "1"))
    client = client_for(setup_a.buyer)
    client.post("/language/en", data={"next": "/orders"})

    page = text_of(client.get(f"/orders/{order.id}"))
    pdf = pdf_text(client.get(f"/orders/{order.id}/purchase-order.pdf").data)

    assert "Download the purchase order (PDF)" in page
    assert "Bon de commande BC-2026-00001" in pdf


def test_order_count_unchanged_by_views(setup_a, catalogue, client_for):
    client = client_for(setup_a.buyer)
    client.get("/orders")
    client.get(f"/orders/cart/{setup_a.school.id}")

    assert Order.query.count() == 0
