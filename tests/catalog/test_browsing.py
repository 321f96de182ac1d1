"""The catalogue as members and the centrale see it: visibility, filters and product pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from catalog.models import ProductPrice


def _catalogue(factories):
    """Build one product of each visibility case and return them by name."""
    ent = factories.category(name="ENT et abonnements", code="ent")
    hardware = factories.category(name="Matériel", code="materiel")
    running = factories.contract(start_date=date(2025, 1, 1), end_date=date(2028, 8, 31))
    hardware_contract = factories.contract(start_date=date(2025, 1, 1), end_date=date(2028, 8, 31))
    ended = factories.contract(start_date=date(2022, 9, 1), end_date=date(2026, 6, 30))
    future = factories.contract(start_date=date(2027, 9, 1), end_date=date(2030, 8, 31))
    products = {
        "visible": factories.product(
            name="Compte élève ENT", unit="pupil", unit_price="3.20", category=ent, contract=running,
            tiers=[(1, "3.20"), (5000, "2.80"), (15000, "2.40")], tier_mode="volume",
        ),
        "tablet": factories.product(
            name="Tablette tactile", unit="item", unit_price="329.90", category=hardware,
            contract=hardware_contract,
        ),
        "archived": factories.product(
            name="Tablette archivée", status="archived", category=hardware, contract=running,
        ),
        "ended": factories.product(name="Tablette ancien marché", category=hardware, contract=ended),
        "future": factories.product(name="Tablette futur marché", category=hardware, contract=future),
    }
    unpriced = factories.product(name="Produit sans prix du jour", category=hardware, contract=running)
    unpriced.prices[0].valid_to = date(2026, 11, 30)
    products["unpriced"] = unpriced
    return products


def test_buyer_sees_only_orderable_products(factories, buyer, login):
    products = _catalogue(factories)
    page = login(buyer).get("/catalog").get_data(as_text=True)
    assert products["visible"].name in page
    assert products["tablet"].name in page
    for hidden in ("archived", "ended", "future", "unpriced"):
        assert products[hidden].name not in page, hidden


def test_manager_sees_every_product_with_status(factories, manager, login):
    products = _catalogue(factories)
    page = login(manager).get("/catalog").get_data(as_text=True)
    for product in products.values():
        assert product.name in page
    assert "Archivé" in page
    assert "Marché terminé le 30/06/2026" in page


def test_list_shows_prices_with_and_without_vat(factories, buyer, login):
    _catalogue(factories)
    page = login(buyer).get("/catalog").get_data(as_text=True)
    assert "329,90\u00a0€" in page
    assert "395,88\u00a0€" in page


def test_search_matches_name_and_reference(factories, buyer, login):
    products = _catalogue(factories)
    client = login(buyer)
    page = client.get("/catalog?q=tactile").get_data(as_text=True)
    assert products["tablet"].name in page
    assert products["visible"].name not in page
    page = client.get(f"/catalog?q={products['visible'].reference}").get_data(as_text=True)
    assert products["visible"].name in page
    assert products["tablet"].name not in page


def test_filters_by_category_unit_and_supplier(factories, buyer, login):
    products = _catalogue(factories)
    client = login(buyer)
    page = client.get(f"/catalog?category={products['tablet'].category_id}").get_data(as_text=True)
    assert products["tablet"].name in page
    assert products["visible"].name not in page
    page = client.get("/catalog?unit=pupil").get_data(as_text=True)
    assert products["visible"].name in page
    assert products["tablet"].name not in page
    supplier_id = products["tablet"].contract.supplier_id
    page = client.get(f"/catalog?supplier={supplier_id}").get_data(as_text=True)
    assert products["tablet"].name in page
    assert products["visible"].name not in page


def test_product_page_shows_prices_contract_and_tiers(factories, buyer, login):
    product = _catalogue(factories)["visible"]
    page = login(buyer).get(f"/catalog/products/{product.id}").get_data(as_text=True)
    assert "<h1>Compte élève ENT</h1>" in page
    assert "par compte élève" in page
    assert "3,20\u00a0€" in page
    assert "3,84\u00a0€" in page
    assert product.contract.reference in page
    assert "Paliers de prix mutualisés" in page
    assert "4\u202f999" in page or "4 999" in page
    assert "2,40\u00a0€" in page


def test_product_page_shows_exemption_reason(factories, buyer, login):
    product = factories.product(
        name="Formation ENT", unit="training_day", unit_price="650.00", vat_category="E",
        vat_rate=Decimal("0.00"), vat_exemption_reason="Exonération de TVA, article 261-4-4° a du CGI",
    )
    page = login(buyer).get(f"/catalog/products/{product.id}").get_data(as_text=True)
    assert "Exonéré" in page
    assert "article 261-4-4° a du CGI" in page
    assert "650,00\u00a0€" in page


def test_product_page_shows_price_valid_today(factories, buyer, login):
    product = factories.product(unit_price="10.00")
    product.prices[0].valid_to = date(2026, 11, 30)
    product.prices.append(ProductPrice(unit_price=Decimal("12.5000"), valid_from=date(2026, 12, 1)))
    product.prices.append(ProductPrice(unit_price=Decimal("17.00"), valid_from=date(2027, 1, 1)))
    page = login(buyer).get(f"/catalog/products/{product.id}").get_data(as_text=True)
    assert "12,50\u00a0€" in page
    assert "17,00\u00a0€" not in page


def test_buyer_gets_404_for_hidden_products(factories, buyer, login):
    products = _catalogue(factories)
    client = login(buyer)
    for hidden in ("archived", "ended", "future", "unpriced"):
        response = client.get(f"/catalog/products/{products[hidden].id}")
        assert response.status_code == 404, hidden


def test_manager_opens_ended_contract_product(factories, manager, login):
    product = _catalogue(factories)["ended"]
    response = login(manager).get(f"/catalog/products/{product.id}")
    assert response.status_code == 200
    assert "Marché terminé le 30/06/2026" in response.get_data(as_text=True)


def test_example_product_has_badge(factories, buyer, login):
    product = factories.product(is_example=True)
    page = login(buyer).get(f"/catalog/products/{product.id}").get_data(as_text=True)
    assert "Prix d'exemple" in page or "Prix d&#39;exemple" in page


def test_cart_form_follows_orders_route(app, factories, buyer, login):
    product = factories.product()
    page = login(buyer).get(f"/catalog/products/{product.id}").get_data(as_text=True)
    if "orders.add_to_cart" in app.view_functions:
        assert 'name="school_id"' in page
        assert "École Jules Ferry" in page
        assert 'name="quantity"' in page
    else:
        assert 'name="school_id"' not in page


def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/catalog")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
