"""French wording of the order screens: school names after « Panier », repeated decisions."""

from __future__ import annotations

from html import unescape

from .conftest import submitted_order


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_cart_title_reads_with_school_name(setup_a, factories, client_for):
    training = factories.product(unit_price="250.00", unit="training_day", name="Formation ENT")
    client = client_for(setup_a.buyer)

    added = client.post("/orders/cart/add", data={"product_id": training.id, "school_id": setup_a.school.id,
                                                  "quantity": "1,5"}, follow_redirects=True)

    page = text_of(added)
    assert f"<h1>Panier – {setup_a.school.name}</h1>" in page
    assert f"Produit ajouté au panier – {setup_a.school.name} : Formation ENT (quantité 1,5)." in page
    assert "Panier de" not in page


def test_second_approve_says_already_approved(setup_a, factories, client_for):
    tablet = factories.product(unit_price="250.00", unit="item", name="Tablette")
    order = submitted_order(setup_a.buyer, setup_a.school, (tablet, "1"))
    client = client_for(setup_a.approver)

    first = client.post(f"/orders/{order.id}/approve")
    second = client.post(f"/orders/{order.id}/approve", follow_redirects=True)

    assert first.status_code == 303
    page = text_of(second)
    assert "La commande BC-2026-00001 est déjà validée." in page
    assert "ne peut pas passer" not in page
