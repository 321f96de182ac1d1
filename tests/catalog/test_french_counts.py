"""Counts in catalogue messages agree in French: « 1 produit exporté », not « 1 produits »."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from catalog.models import Product


def test_cli_export_of_one_product_is_singular(app, factories, tmp_path):
    factories.product(unit_price="12.50", name="Clé USB")
    assert db.session.scalar(select(func.count(Product.id))) == 1
    path = tmp_path / "catalogue.csv"

    result = app.test_cli_runner().invoke(args=["catalog", "export", "--format", "csv", "-o", str(path)])

    assert result.exit_code == 0, result.output
    assert f"1 produit exporté dans {path}." in result.output
