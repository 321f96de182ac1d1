"""Bulk import and export: preview, round trip on CSV and XLSX, and one message per broken line."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.errors import ValidationFailed
from app.extensions import db
from catalog.demo import load_example_catalogue
from catalog.models import PriceTier, Product, ProductPrice
from catalog.transfer import (
    COLUMNS,
    apply_import,
    export_csv,
    export_rows,
    export_xlsx,
    plan_import,
    read_catalogue_file,
)

TODAY = date(2026, 12, 4)
HEADER = ";".join(header for _, header in COLUMNS)


def _counts() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model)) for model in (Product, ProductPrice, PriceTier)
    )


def _plan(text: str, filename: str = "catalogue.csv"):
    return plan_import(read_catalogue_file(("\ufeff" + text).encode("utf-8"), filename), TODAY)


def _product(reference: str) -> Product:
    return db.session.scalar(select(Product).where(Product.reference == reference))


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(file_format):
    load_example_catalogue()
    rows = export_rows(TODAY)
    data = export_csv(rows) if file_format == "csv" else export_xlsx(rows)
    counts = _counts()
    plan = plan_import(read_catalogue_file(data, f"catalogue.{file_format}"), TODAY)
    assert plan.rejected == []
    assert plan.created == []
    assert [(line.reference, line.changes) for line in plan.updated] == []
    assert len(plan.unchanged) == len(rows)
    assert apply_import(plan, today=TODAY, user_id=None) == (0, 0)
    assert _counts() == counts


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_import_into_empty_catalogue_recreates_products(file_format):
    load_example_catalogue()
    rows = export_rows(TODAY)
    data = export_csv(rows) if file_format == "csv" else export_xlsx(rows)
    for product in db.session.scalars(select(Product)):
        db.session.delete(product)
    db.session.flush()
    plan = plan_import(read_catalogue_file(data, f"catalogue.{file_format}"), TODAY)
    assert plan.rejected == []
    assert len(plan.created) == len(rows)
    apply_import(plan, today=TODAY, user_id=None)
    assert export_rows(TODAY) == rows
    pupil = _product("ENT-ELEVE")
    assert [(tier.from_quantity, tier.unit_price) for tier in pupil.tiers] == [
        (1, Decimal("3.2000")), (5000, Decimal("2.8000")), (15000, Decimal("2.4000")),
    ]


def test_csv_export_follows_french_excel_conventions():
    load_example_catalogue()
    product = _product("MAT-CASQUE-ELEVE")
    product.description = "=HYPERLINK(\"http://example.invalid\")"
    data = export_csv(export_rows(TODAY))
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0] == "Référence"
    by_reference = {row[0]: row for row in rows[1:]}
    assert by_reference["MAT-CASQUE-ELEVE"][2] == "'=HYPERLINK(\"http://example.invalid\")"
    assert by_reference["MAT-CASQUE-ELEVE"][10] == "12,45"
    assert by_reference["LIV-MATHS-CM"][8] == "5,5"
    assert by_reference["ENT-ELEVE"][14] == "1-4999:3,20|5000-14999:2,80|15000+:2,40"
    assert by_reference["ENT-ELEVE"][11] == "01/09/2024"


def test_csv_formula_cell_reads_back_unchanged():
    load_example_catalogue()
    _product("MAT-CASQUE-ELEVE").description = "-reinforced cable"
    data = export_csv(export_rows(TODAY))
    plan = plan_import(read_catalogue_file(data, "catalogue.csv"), TODAY)
    assert plan.updated == []
    assert plan.rejected == []


def test_xlsx_export_has_real_numbers():
    load_example_catalogue()
    workbook = load_workbook(io.BytesIO(export_xlsx(export_rows(TODAY))))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    row = next(row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] == "MAT-VPI-UCF")
    assert row[header.index("Prix unitaire HT")] == 1249
    assert row[header.index("Taux de TVA")] == 20
    assert row[header.index("Prix valable depuis")].date() == date(2025, 1, 1)


def test_preview_lists_creations_updates_and_rejections():
    load_example_catalogue()
    text = "\n".join([
        HEADER,
        "NOUVEAU-1;Clé USB 32 Go;;materiel;article;2025-MN-MAT-02;1;S;20;;6,90;;non;aucun;;actif;non",
        "MAT-VPI-UCF;Vidéoprojecteur interactif ultra-courte focale;Vidéoprojecteur interactif 4 000 lumens avec support mural et deux stylets.;materiel;article;2025-MN-MAT-02;1;S;20;;1199,00;01/01/2025;non;aucun;;actif;oui",
        "CASSE-1;Produit cassé;;inconnue;article;2025-MN-MAT-02;1;S;20;;6,90;;non;aucun;;actif;non",
    ])
    counts = _counts()
    plan = _plan(text)
    assert [line.reference for line in plan.created] == ["NOUVEAU-1"]
    assert [line.reference for line in plan.updated] == ["MAT-VPI-UCF"]
    assert plan.updated[0].changes == ["Prix unitaire HT : 1249,00 → 1199,00 à partir du 04/12/2026"]
    assert [(line.line, line.reference) for line in plan.rejected] == [(4, "CASSE-1")]
    assert "Catégorie inconnue introuvable" in plan.rejected[0].errors[0]
    assert _counts() == counts, "planning wrote to the database"


def test_import_writes_price_version_and_audit():
    load_example_catalogue()
    text = "\n".join([
        HEADER,
        "MAT-VPI-UCF;Vidéoprojecteur interactif ultra-courte focale;Vidéoprojecteur interactif 4 000 lumens avec support mural et deux stylets.;materiel;article;2025-MN-MAT-02;1;S;20;;1199,00;01/01/2025;non;aucun;;actif;oui",
    ])
    apply_import(_plan(text), today=TODAY, user_id=None)
    product = _product("MAT-VPI-UCF")
    assert product.price_on(TODAY).unit_price == Decimal("1199.0000")
    assert product.price_on(date(2026, 12, 3)).unit_price == Decimal("1249.0000")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "product_price")).all()
    assert {event.action for event in events} == {"created", "updated"}


def _broken_catalogue_file() -> tuple[str, dict[int, str]]:
    """Build 300 product lines, four of them broken, and the expected message per broken line."""
    lines = [HEADER]
    broken = {
        51: ("CAT-0050;Produit 50;;materiel;article;2025-MN-MAT-02;1;S;19,6;;10,00;;non;aucun;;actif;non",
             "Taux de TVA 19,6\u00a0% invalide pour le taux normal"),
        101: ("CAT-0100;Produit 100;;papeterie;article;2025-MN-MAT-02;1;S;20;;10,00;;non;aucun;;actif;non",
              "Catégorie papeterie introuvable"),
        151: ("CAT-0150;Produit 150;;materiel;article;2025-MN-MAT-02;1;S;20;;-4,50;;non;aucun;;actif;non",
              "Prix unitaire HT : -4,5 est négatif : saisissez un nombre positif."),
        201: ("CAT-0200;Produit 200;;ent;compte élève;2024-MN-ENT-01;1;S;20;;3,20;;oui;volume;1-4999:3,20|6000+:2,80;actif;non",
              "Trou entre les paliers 1 et 2 : les quantités de 5000 à 5999 n'ont pas de prix"),
    }
    for number in range(1, 301):
        line_number = number + 1
        if line_number in broken:
            lines.append(broken[line_number][0])
        else:
            lines.append(f"CAT-{number:04d};Produit {number};;materiel;article;2025-MN-MAT-02;1;S;20;;10,00;;non;aucun;;actif;non")
    return "\n".join(lines), {line: message for line, (_, message) in broken.items()}


def test_broken_lines_get_one_clear_message_each():
    load_example_catalogue()
    text, expected = _broken_catalogue_file()
    plan = _plan(text)
    assert len(plan.created) == 296
    assert [line.line for line in plan.rejected] == sorted(expected)
    for line in plan.rejected:
        assert len(line.errors) == 1, line.errors
        assert expected[line.line] in line.errors[0], line.errors[0]


def test_missing_column_rejects_file():
    with pytest.raises(ValidationFailed, match="Prix unitaire HT"):
        _plan("Référence;Nom;Catégorie;Unité de vente;Marché;Catégorie de TVA;Taux de TVA\nA;B;c;article;M;S;20")


def test_duplicate_reference_is_rejected():
    load_example_catalogue()
    line = "DOUBLE-1;Clé USB;;materiel;article;2025-MN-MAT-02;1;S;20;;6,90;;non;aucun;;actif;non"
    plan = _plan("\n".join([HEADER, line, line]))
    assert [entry.line for entry in plan.created] == [2]
    assert [entry.line for entry in plan.rejected] == [3]
    assert "déjà à la ligne 2" in plan.rejected[0].errors[0]
