"""The example catalogue: complete, labelled as examples, and idempotent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from stdnum.fr import siren, siret

from app.extensions import db
from catalog.demo import TRAINING_EXEMPTION_REASON, load_example_catalogue
from catalog.models import Category, Contract, PriceTier, Product, ProductPrice, SaleUnit, Supplier
from catalog.pricing import Tier, tier_errors
from catalog.services import NotOrderable, current_unit_price


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _product(reference: str) -> Product:
    return db.session.scalar(select(Product).where(Product.reference == reference))


def test_example_catalogue_loads_twice_without_duplicates():
    load_example_catalogue()
    counts = {model: _count(model) for model in (Category, Supplier, Contract, Product, ProductPrice, PriceTier)}
    load_example_catalogue()
    for model, count in counts.items():
        assert _count(model) == count, model.__name__
    assert counts[Category] == 5
    assert 15 <= counts[Product] <= 25
    assert 3 <= counts[Contract] <= 5


def test_example_catalogue_covers_units_and_vat_cases():
    load_example_catalogue()
    products = list(db.session.scalars(select(Product)))
    assert {product.unit for product in products} == {unit.value for unit in SaleUnit}
    rates = {(product.vat_category, product.vat_rate) for product in products}
    assert ("S", Decimal("20.00")) in rates
    assert ("S", Decimal("10.00")) in rates
    assert ("S", Decimal("5.50")) in rates
    assert ("E", Decimal("0.00")) in rates
    exempt = [product for product in products if product.vat_category == "E"]
    assert all(product.vat_exemption_reason == TRAINING_EXEMPTION_REASON for product in exempt)
    assert all(product.is_example for product in products)
    assert all(
        product.is_subscription for product in products if product.category.code in ("ent",)
    )


def test_example_suppliers_have_valid_identifiers():
    load_example_catalogue()
    for supplier in db.session.scalars(select(Supplier)):
        assert siren.is_valid(supplier.siren), supplier.name
        assert siret.is_valid(supplier.siret), supplier.name
        assert supplier.siret.startswith(supplier.siren)
        assert "(exemple)" in supplier.name


def test_example_ent_tiers_are_valid():
    load_example_catalogue()
    pupil = _product("ENT-ELEVE")
    assert pupil.tier_mode == "volume"
    assert [(tier.from_quantity, tier.unit_price) for tier in pupil.tiers] == [
        (1, Decimal("3.2000")), (5000, Decimal("2.8000")), (15000, Decimal("2.4000")),
    ]
    for reference in ("ENT-ECOLE", "ENT-CLASSE", "ENT-ELEVE"):
        tiers = [Tier(tier.from_quantity, tier.unit_price) for tier in _product(reference).tiers]
        assert tier_errors(tiers) == [], reference


def test_example_prices_today_and_next_school_year(fixed_today):
    load_example_catalogue()
    assert current_unit_price(_product("ENT-ECOLE"), fixed_today) == Decimal("180.0000")
    assert current_unit_price(_product("ENT-ECOLE"), date(2025, 3, 1)) == Decimal("175.0000")
    assert current_unit_price(_product("LOG-ANTIVIRUS"), date(2028, 1, 15)) == Decimal("18.7500")
    intermediation = _product("LOG-BUREAUTIQUE").contract
    assert intermediation.sales_mode == "intermediation"


def test_example_ended_contract_refuses_orders(fixed_today):
    load_example_catalogue()
    product = _product("MAT-TABLETTE-9-ANCIEN")
    with pytest.raises(NotOrderable, match="30/06/2026"):
        current_unit_price(product, fixed_today)
