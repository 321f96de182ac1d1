"""The managers' catalogue pages: validation, price versions, tiers, archiving, audit, rights."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.auth.roles import Role
from app.extensions import db
from catalog.models import Category, Contract, PriceTier, Product, ProductPrice, Supplier

from .conftest import TODAY

EDIT_MODULE = "catalog.manage_views"


def _switch_to(client, login, user):
    """Log the current user out, then log ``user`` in on the same client."""
    client.post("/logout")
    return login(user)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _product_form(product_fields: dict, category, contract) -> dict:
    data = {
        "reference": "ENT-TEST-1",
        "name": "Compte élève ENT test",
        "description": "Un compte élève pour une année.",
        "category_id": str(category.id),
        "contract_id": str(contract.id),
        "unit": "pupil",
        "vat_category": "S",
        "vat_rate": "20",
        "vat_exemption_reason": "",
        "unit_price": "3,20",
        "price_valid_from": "2026-12-04",
    }
    data.update(product_fields)
    return data


# Rights -------------------------------------------------------------------------------------


def _edit_urls(app, product, category, supplier, contract) -> list[tuple[str, set[str]]]:
    """Return (URL, methods) for every route of the managers' module, with real ids filled in."""
    ids = {"product_id": product.id, "category_id": category.id, "supplier_id": supplier.id,
           "contract_id": contract.id, "token": "a" * 32}
    urls = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if view.__module__ != EDIT_MODULE:
            continue
        urls.append((rule.build({name: ids[name] for name in rule.arguments})[1], rule.methods))
    return urls


@pytest.mark.parametrize("role", [Role.BUYER, Role.APPROVER, Role.FINANCE])
def test_other_roles_get_403_on_every_edit_route(app, factories, login, role):
    supplier = Supplier(name="Titulaire droits")
    contract = factories.contract(supplier=supplier)
    category = factories.category()
    product = factories.product(category=category, contract=contract, unit_price="10.00")
    user = factories.user(role)
    urls = _edit_urls(app, product, category, supplier, contract)
    assert len(urls) >= 15, urls
    before = {model: _count(model) for model in (Category, Supplier, Contract, Product, ProductPrice, PriceTier, AuditEvent)}
    client = login(user)
    form = _product_form({"name": "Changé", "code": "x", "number": "X"}, category, contract)
    for url, methods in urls:
        if "POST" in methods:
            assert client.post(url, data=form).status_code == 403, url
        if "GET" in methods:
            assert client.get(url).status_code == 403, url
    after = {model: _count(model) for model in before}
    assert after == before
    db.session.refresh(product)
    assert product.name.startswith("Produit test")
    assert product.status == "active"


def test_manager_and_admin_open_edit_pages(factories, login, manager, admin):
    product = factories.product()
    for user in (manager, admin):
        client = login(user)
        for url in (f"/catalog/manage/products/{product.id}/edit", "/catalog/manage/contracts",
                    "/catalog/manage/audit", "/catalog/manage/import", "/catalog/manage/categories"):
            assert client.get(url).status_code == 200, url
        client.post("/logout")


# Products -----------------------------------------------------------------------------------


def test_manager_creates_product_with_decimal_comma(factories, login, manager):
    category, contract = factories.category(), factories.contract()
    response = login(manager).post("/catalog/manage/products/new",
                                   data=_product_form({"vat_rate": "5,5", "unit_price": "0,4750"}, category, contract))
    assert response.status_code == 302
    product = db.session.scalar(select(Product).where(Product.reference == "ENT-TEST-1"))
    assert product.vat_rate == Decimal("5.50")
    assert product.price_on(TODAY).unit_price == Decimal("0.4750")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_id == product.id,
                                                          AuditEvent.entity_type == "product")).all()
    assert [event.action for event in events] == ["created"]
    assert events[0].user_id == manager.id
    assert events[0].changes["name"] == [None, "Compte élève ENT test"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"vat_rate": "19,6"}, "Taux de TVA 19,6\u00a0% invalide pour le taux normal"),
        ({"vat_category": "E", "vat_rate": "0"}, "Le motif d&#39;exonération est manquant"),
        ({"vat_category": "E", "vat_rate": "20", "vat_exemption_reason": "CGI 261"}, "invalide pour la catégorie E"),
        ({"unit_price": "-1,00"}, "Prix unitaire HT (€) : -1 est négatif : saisissez un nombre positif."),
        ({"unit_price": "1,23456"}, "Prix unitaire HT (€) : 1,23456 a trop de décimales : 4 décimales au plus."),
        ({"unit_price": "douze"}, "Prix unitaire HT (€) : « douze » n’est pas un nombre"),
        ({"unit_price": "1e9"}, "Prix unitaire HT (€) : « 1e9 » n’est pas un nombre"),
        ({"unit_price": "9" * 40}, "est trop grand : 99\u202f999\u202f999,9999\u00a0€ au plus."),
        ({"vat_rate": "abc"}, "Taux de TVA (%) : « abc » n’est pas un nombre"),
        ({"name": ""}, "Le nom est manquant"),
        ({"reference": ""}, "La référence est manquante"),
    ],
)
def test_product_form_rejects_bad_values(factories, login, manager, fields, message):
    category, contract = factories.category(), factories.contract()
    before = _count(Product)
    response = login(manager).post("/catalog/manage/products/new", data=_product_form(fields, category, contract))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _count(Product) == before


def test_duplicate_reference_is_refused(factories, login, manager):
    existing = factories.product(reference="DOUBLON")
    response = login(manager).post(
        "/catalog/manage/products/new",
        data=_product_form({"reference": "DOUBLON"}, existing.category, existing.contract),
    )
    assert "La référence DOUBLON est déjà utilisée" in response.get_data(as_text=True)


def test_exempt_training_is_accepted(factories, login, manager):
    category, contract = factories.category(), factories.contract()
    reason = "Exonération de TVA, article 261-4-4° a du CGI (formation professionnelle continue)"
    response = login(manager).post("/catalog/manage/products/new", data=_product_form(
        {"reference": "FOR-1", "unit": "training_day", "vat_category": "E", "vat_rate": "0",
         "vat_exemption_reason": reason, "unit_price": "650"}, category, contract))
    assert response.status_code == 302
    product = db.session.scalar(select(Product).where(Product.reference == "FOR-1"))
    assert product.vat_exemption_reason == reason


def test_edit_records_old_and_new_values(factories, login, manager):
    product = factories.product(name="Ancien nom")
    form = _product_form({"reference": product.reference, "name": "Nouveau nom"}, product.category, product.contract)
    response = login(manager).post(f"/catalog/manage/products/{product.id}/edit", data=form)
    assert response.status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "product",
                                                       AuditEvent.entity_id == product.id))
    assert event.changes["name"] == ["Ancien nom", "Nouveau nom"]
    assert event.action == "updated"


def _png(size=(40, 30), mode="RGB") -> bytes:
    output = io.BytesIO()
    Image.new(mode, size, (200, 10, 10)).save(output, format="PNG")
    return output.getvalue()


def test_image_is_reencoded_and_served(factories, login, manager, buyer):
    product = factories.product()
    form = _product_form({"reference": product.reference, "image": (io.BytesIO(_png((2400, 1200))), "photo.png")},
                         product.category, product.contract)
    client = login(manager)
    response = client.post(f"/catalog/manage/products/{product.id}/edit", data=form, content_type="multipart/form-data")
    assert response.status_code == 302
    assert product.image_mime == "image/jpeg"
    stored = Image.open(io.BytesIO(product.image_data))
    assert stored.size == (1200, 600)
    served = _switch_to(client, login, buyer).get(f"/catalog/products/{product.id}/image")
    assert served.status_code == 200
    assert served.mimetype == "image/jpeg"
    assert served.data == product.image_data


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"not an image at all", "photo.png", "L&#39;image est illisible"),
        (b"GIF89a" + b"\x00" * 40, "photo.png", "illisible"),
        (b"x" * (2 * 1024 * 1024 + 10), "photo.png", "trop lourde"),
        (b"plain text", "notes.txt", "JPEG, PNG ou WebP"),
    ],
)
def test_bad_image_is_rejected(factories, login, manager, content, filename, message):
    product = factories.product()
    form = _product_form({"reference": product.reference, "image": (io.BytesIO(content), filename)},
                         product.category, product.contract)
    response = login(manager).post(f"/catalog/manage/products/{product.id}/edit", data=form,
                                   content_type="multipart/form-data")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert product.image_data is None


# Suppliers, contracts, categories -----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"siren": "123456789"}, "sa clé de contrôle est fausse"),
        ({"siren": "12345"}, "un SIREN compte exactement 9 chiffres"),
        ({"siren": "900812348", "siret": "90081234800011"}, "SIRET 90081234800011"),
        ({"siren": "900813577", "siret": "90081234800010"}, "appartient pas au SIREN 900813577"),
        ({"contact_email": "pas-une-adresse"}, "Le courriel du contact est invalide"),
        ({"name": ""}, "La raison sociale est manquante"),
    ],
)
def test_supplier_form_checks_identifiers(login, manager, fields, message):
    data = {"name": "Titulaire test", "siren": "", "siret": ""}
    data.update(fields)
    before = _count(Supplier)
    response = login(manager).post("/catalog/manage/suppliers/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert _count(Supplier) == before


def test_supplier_with_valid_siret_is_saved(login, manager):
    response = login(manager).post("/catalog/manage/suppliers/new", data={
        "name": "Éduplateforme test", "siren": "900 812 348", "siret": "900 812 348 00010", "vat_number": ""})
    assert response.status_code == 302
    supplier = db.session.scalar(select(Supplier).where(Supplier.name == "Éduplateforme test"))
    assert supplier.siren == "900812348"
    assert supplier.siret == "90081234800010"


def test_contract_end_before_start_is_refused(factories, login, manager):
    supplier = Supplier(name="Titulaire marché")
    db.session.add(supplier)
    db.session.flush()
    response = login(manager).post("/catalog/manage/contracts/new", data={
        "number": "2027-MN-X-01", "lot": "1", "title": "", "supplier_id": str(supplier.id),
        "start_date": "2027-09-01", "end_date": "2027-08-31", "sales_mode": "intermediation"})
    assert "La date de fin 31/08/2027 précède la date de début 01/09/2027" in response.get_data(as_text=True)
    response = login(manager).post("/catalog/manage/contracts/new", data={
        "number": "2027-MN-X-01", "lot": "1", "title": "", "supplier_id": str(supplier.id),
        "start_date": "2027-09-01", "end_date": "2031-08-31", "sales_mode": "intermediation"})
    assert response.status_code == 302
    contract = db.session.scalar(select(Contract).where(Contract.number == "2027-MN-X-01"))
    assert contract.sales_mode == "intermediation"


def test_category_code_rules(login, manager):
    client = login(manager)
    page = client.post("/catalog/manage/categories", data={"code": "Matériel !", "name": "Matériel"}).get_data(as_text=True)
    assert "Le code matériel ! est invalide" in page
    assert client.post("/catalog/manage/categories", data={"code": "reseau", "name": "Réseau"}).status_code == 302
    page = client.post("/catalog/manage/categories", data={"code": "reseau", "name": "Autre"}).get_data(as_text=True)
    assert "Le code reseau est déjà utilisé par la catégorie Réseau" in page


def test_contracts_ending_within_60_days_are_listed(factories, login, manager):
    soon = factories.contract(number="2023-MN-FIN-01", start_date=date(2023, 1, 1), end_date=TODAY + timedelta(days=59))
    factories.contract(number="2023-MN-LOIN-02", start_date=date(2023, 1, 1), end_date=TODAY + timedelta(days=61))
    factories.contract(number="2020-MN-FINI-03", start_date=date(2020, 1, 1), end_date=TODAY - timedelta(days=1))
    page = login(manager).get("/catalog/manage/contracts").get_data(as_text=True)
    ending_section = page.split('id="ending-heading"')[1].split('id="all-heading"')[0]
    assert soon.number in ending_section
    assert "2023-MN-LOIN-02" not in ending_section
    assert "2020-MN-FINI-03" not in ending_section


# Prices and tiers ---------------------------------------------------------------------------


def test_new_price_closes_previous_version(factories, login, manager, buyer):
    product = factories.product(unit_price="10.00")
    client = login(manager)
    response = client.post(f"/catalog/manage/products/{product.id}/prices",
                           data={"unit_price": "12,50", "valid_from": "2027-01-01"})
    assert response.status_code == 302
    versions = sorted(product.prices, key=lambda price: price.valid_from)
    assert [(price.unit_price, price.valid_from, price.valid_to) for price in versions] == [
        (Decimal("10.0000"), date(2020, 1, 1), date(2026, 12, 31)),
        (Decimal("12.5000"), date(2027, 1, 1), None),
    ]
    page = _switch_to(client, login, buyer).get(f"/catalog/products/{product.id}").get_data(as_text=True)
    assert "10,00\u00a0€" in page
    assert "12,50\u00a0€" not in page


def test_price_history_is_shown_to_managers(factories, login, manager):
    product = factories.product(unit_price="10.00")
    client = login(manager)
    client.post(f"/catalog/manage/products/{product.id}/prices", data={"unit_price": "11", "valid_from": "2027-01-01"})
    page = client.get(f"/catalog/manage/products/{product.id}/prices").get_data(as_text=True)
    assert "10,00\u00a0€" in page
    assert "11,00\u00a0€" in page
    assert "31/12/2026" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"unit_price": "9", "valid_from": "2026-12-03"}, "La date de début 03/12/2026 est passée"),
        ({"unit_price": "9", "valid_from": "2020-01-01"}, "est passée"),
        ({"unit_price": "-9", "valid_from": "2027-01-01"}, "négatif"),
        ({"unit_price": "", "valid_from": "2027-01-01"}, "Le prix unitaire est manquant"),
    ],
)
def test_bad_price_version_is_refused(factories, login, manager, data, message):
    product = factories.product(unit_price="10.00")
    response = login(manager).post(f"/catalog/manage/products/{product.id}/prices", data=data)
    assert message in response.get_data(as_text=True)
    assert len(product.prices) == 1


def test_second_price_on_same_day_is_refused(factories, login, manager):
    product = factories.product(unit_price="10.00")
    client = login(manager)
    client.post(f"/catalog/manage/products/{product.id}/prices", data={"unit_price": "11", "valid_from": "2027-01-01"})
    page = client.post(f"/catalog/manage/products/{product.id}/prices",
                       data={"unit_price": "12", "valid_from": "2027-01-01"}).get_data(as_text=True)
    assert "Un prix de ce produit commence déjà le 01/01/2027" in page
    assert len(product.prices) == 2


def test_placed_order_keeps_price_after_change(factories, login, manager, buyer, fixed_today):
    from orders.models import OrderStatus
    from orders.services import add_to_cart, transition

    product = factories.product(unit_price="3.20", unit="pupil")
    school = buyer.member.schools[0]
    line = add_to_cart(buyer, school, product, Decimal("150"), fixed_today)
    order = line.order
    transition(order, OrderStatus.SUBMITTED, buyer)
    db.session.flush()
    number, net, gross = order.number, order.net_amount, order.gross_amount
    assert line.net_amount == Decimal("480.00")

    response = login(manager).post(f"/catalog/manage/products/{product.id}/prices",
                                   data={"unit_price": "2,90", "valid_from": "2026-12-04"})
    assert response.status_code == 302
    db.session.expire_all()
    assert product.price_on(fixed_today).unit_price == Decimal("2.9000")
    assert order.lines[0].unit_price == Decimal("3.2000")
    assert order.lines[0].net_amount == Decimal("480.00")
    assert (order.number, order.net_amount, order.gross_amount) == (number, net, gross)
    assert order.totals().gross_amount == Decimal("576.00")


def test_manager_sets_three_tiers(factories, login, manager, buyer):
    product = factories.product(unit_price="3.20", unit="pupil")
    data = {"tier_mode": "volume",
            "tiers-0-from_quantity": "1", "tiers-0-unit_price": "3,20",
            "tiers-1-from_quantity": "5000", "tiers-1-unit_price": "2,80",
            "tiers-2-from_quantity": "15000", "tiers-2-unit_price": "2,40",
            "tiers-3-from_quantity": "", "tiers-3-unit_price": ""}
    client = login(manager)
    response = client.post(f"/catalog/manage/products/{product.id}/tiers", data=data)
    assert response.status_code == 302
    assert product.tier_mode == "volume"
    assert [(tier.from_quantity, tier.unit_price) for tier in product.tiers] == [
        (1, Decimal("3.2000")), (5000, Decimal("2.8000")), (15000, Decimal("2.4000"))]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "price_tiers"))
    assert event.changes["tiers"] == ["", "1-4999:3,20|5000-14999:2,80|15000+:2,40"]
    page = _switch_to(client, login, buyer).get(f"/catalog/products/{product.id}").get_data(as_text=True)
    assert "Paliers de prix mutualisés" in page
    assert "2,80\u00a0€" in page


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("2", "3,20"), ("10", "2,80")], "Le palier 1 commence à 2"),
        ([("1", "3,20"), ("10", "2,80"), ("5", "2,50")], "Le palier 3 commence à 5"),
        ([("1", "3,20"), ("10", "-2,80")], "Le palier 2 a un prix unitaire négatif"),
        ([("1", "3,20"), ("10", "")], "une quantité sans prix"),
        ([], "Paliers mutualisés manquants"),
    ],
)
def test_bad_tiers_are_refused(factories, login, manager, rows, message):
    product = factories.product(unit_price="3.20")
    data = {"tier_mode": "graduated"}
    for index, (quantity, price) in enumerate(rows):
        data[f"tiers-{index}-from_quantity"] = quantity
        data[f"tiers-{index}-unit_price"] = price
    page = login(manager).post(f"/catalog/manage/products/{product.id}/tiers", data=data).get_data(as_text=True)
    assert message in page
    assert product.tiers == []
    assert product.tier_mode == "none"


# Archiving and ended contracts --------------------------------------------------------------


def test_ordered_product_is_archived_not_deleted(factories, login, manager, buyer, fixed_today):
    from orders.services import add_to_cart

    product = factories.product(unit_price="10.00")
    add_to_cart(buyer, buyer.member.schools[0], product, Decimal("2"), fixed_today)
    client = login(manager)
    page = client.post(f"/catalog/manage/products/{product.id}/delete", follow_redirects=True).get_data(as_text=True)
    assert "figure dans 1 lignes de commande" in page
    assert db.session.get(Product, product.id) is not None
    client.post(f"/catalog/manage/products/{product.id}/archive")
    assert product.status == "archived"
    assert _switch_to(client, login, buyer).get(f"/catalog/products/{product.id}").status_code == 404


def test_unordered_product_can_be_deleted(factories, login, manager):
    product = factories.product()
    product_id = product.id
    response = login(manager).post(f"/catalog/manage/products/{product_id}/delete")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Product, product_id) is None
    assert db.session.scalar(select(func.count()).select_from(ProductPrice).where(ProductPrice.product_id == product_id)) == 0


def test_archived_product_can_be_restored(factories, login, manager):
    product = factories.product(status="archived")
    login(manager).post(f"/catalog/manage/products/{product.id}/restore")
    assert product.status == "active"


def test_cart_says_why_ended_contract_product_fails(factories, buyer, fixed_today):
    from catalog.services import NotOrderable
    from orders.services import add_to_cart

    contract = factories.contract(number="2022-MN-OLD", start_date=date(2022, 1, 1), end_date=date(2026, 6, 30))
    product = factories.product(name="Tablette ancienne", contract=contract)
    with pytest.raises(NotOrderable, match="le marché 2022-MN-OLD lot 1 a pris fin le 30/06/2026"):
        add_to_cart(buyer, buyer.member.schools[0], product, Decimal("1"), fixed_today)


# Audit trail --------------------------------------------------------------------------------


def test_audit_trail_filters_by_type_and_user(factories, login, manager, admin):
    product = factories.product(unit_price="10.00")
    client = login(manager)
    client.post(f"/catalog/manage/products/{product.id}/prices", data={"unit_price": "11", "valid_from": "2027-01-01"})
    client.post(f"/catalog/manage/products/{product.id}/archive")
    client.post("/logout")
    client = login(admin)
    client.post("/catalog/manage/categories", data={"code": "audit-cat", "name": "Catégorie auditée"},
                follow_redirects=True)

    page = client.get("/catalog/manage/audit?entity=product_price").get_data(as_text=True)
    assert "2 modifications" in page
    assert "Catégorie auditée" not in page
    page = client.get(f"/catalog/manage/audit?user={admin.id}").get_data(as_text=True)
    assert "Catégorie auditée" in page
    assert "1 modification" in page
    page = client.get("/catalog/manage/audit?from=2020-01-01&to=2020-12-31").get_data(as_text=True)
    assert "0 modification" in page
