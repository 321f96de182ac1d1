"""The audit trail shows French field labels and values, not raw names and enum values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import unescape

from app.extensions import db
from catalog import editing, prices
from catalog.models import TierMode
from catalog.pricing import Tier


def audit_page(client) -> str:
    return unescape(client.get("/catalog/manage/audit").get_data(as_text=True))


def test_tier_mode_change_reads_french(factories, login, manager):
    product = factories.product(unit_price="12.00")
    prices.set_tiers(product, TierMode.VOLUME, [Tier(1, Decimal("12.00")), Tier(100, Decimal("10.00"))],
                     user_id=manager.id)
    db.session.flush()

    page = audit_page(login(manager))

    assert "Tarification mutualisée : Sans paliers mutualisés → Volume : toutes les unités au prix du palier atteint" in page
    assert "tier_mode" not in page
    assert "none → volume" not in page


def test_product_fields_read_french(factories, login, manager):
    product = factories.product(unit_price="12.00")
    values = editing.ProductValues(
        reference=product.reference, name=product.name, category=product.category, contract=product.contract,
        unit=product.unit, vat_category="S", vat_rate=Decimal("5.5"), is_subscription=not product.is_subscription,
    )
    editing.update_product(product, values, user_id=manager.id)
    prices.add_price_version(product, Decimal("11.5"), date(2027, 1, 1), today=date(2026, 12, 4), user_id=manager.id)
    db.session.flush()

    page = audit_page(login(manager))

    assert "Abonnement : Non → Oui" in page
    assert "Taux de TVA : 20 % → 5,5 %" in page.replace("\u00a0", " ")
    assert "Prix unitaire HT : – → 11,50 €" in page.replace("\u00a0", " ").replace("\u202f", " ")
    assert "Valable à partir du : – → 01/01/2027" in page
    assert "is_subscription" not in page
    assert "True" not in page
