"""Import and export through the browser and the `flask catalog` commands."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from catalog.demo import load_example_catalogue
from catalog.models import Product, ProductPrice
from catalog.transfer import COLUMNS

HEADER = ";".join(header for _, header in COLUMNS)
NEW_LINE = "USB-32;Clé USB 32 Go;;materiel;article;2025-MN-MAT-02;1;S;20;;6,90;;non;aucun;;actif;non"
BROKEN_LINE = "USB-64;Clé USB 64 Go;;materiel;article;2025-MN-MAT-02;1;S;21;;9,90;;non;aucun;;actif;non"


@pytest.fixture
def import_folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "CATALOG_IMPORT_FOLDER", str(tmp_path))
    return tmp_path


def _csv(*lines: str) -> bytes:
    return ("\ufeff" + "\r\n".join((HEADER, *lines)) + "\r\n").encode("utf-8")


def _products() -> int:
    return db.session.scalar(select(func.count()).select_from(Product))


def test_preview_writes_nothing_until_confirmed(login, manager, import_folder):
    load_example_catalogue()
    before = _products()
    client = login(manager)
    response = client.post("/catalog/manage/import", data={"file": (io.BytesIO(_csv(NEW_LINE, BROKEN_LINE)), "catalogue.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 à créer, 0 à modifier" in page
    assert "Taux de TVA 21\u00a0% invalide pour le taux normal" in page
    assert _products() == before
    assert len(list(import_folder.glob("*.bin"))) == 1
    token = next(import_folder.glob("*.bin")).stem
    assert token in page

    response = client.post(f"/catalog/manage/import/{token}", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Import terminé. Produits créés : 1 ; mis à jour : 0 ; lignes rejetées et non importées : 1." in page
    assert _products() == before + 1
    assert db.session.scalar(select(Product).where(Product.reference == "USB-64")) is None
    assert list(import_folder.glob("*.bin")) == []


def test_pending_import_belongs_to_its_uploader(login, manager, factories, import_folder):
    load_example_catalogue()
    client = login(manager)
    client.post("/catalog/manage/import", data={"file": (io.BytesIO(_csv(NEW_LINE)), "catalogue.csv")},
                content_type="multipart/form-data")
    token = next(import_folder.glob("*.bin")).stem
    client.post("/logout")
    other = factories.user("catalog_manager")
    assert login(other).post(f"/catalog/manage/import/{token}").status_code == 404
    assert login(other).post("/catalog/manage/import/..%2F..%2Fetc").status_code == 404


def test_unreadable_file_shows_message(login, manager, import_folder):
    response = login(manager).post("/catalog/manage/import",
                                   data={"file": (io.BytesIO(b"nom;prix\nA;1\n"), "catalogue.csv")},
                                   content_type="multipart/form-data")
    assert "Le fichier n&#39;a pas de colonne" in response.get_data(as_text=True) or \
        "Le fichier n'a pas de colonne" in response.get_data(as_text=True)
    assert list(import_folder.glob("*.bin")) == []


def test_comma_separated_file_is_refused(login, manager, import_folder):
    load_example_catalogue()
    before = _products()
    comma_file = (HEADER.replace(";", ",") + "\r\n" + NEW_LINE.replace(";", ",") + "\r\n").encode("utf-8")
    response = login(manager).post("/catalog/manage/import", data={"file": (io.BytesIO(comma_file), "catalogue.csv")},
                                   content_type="multipart/form-data")
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 200
    assert ("Le fichier utilise la virgule comme séparateur : enregistrez-le en CSV séparateur point-virgule "
            "(Excel) ou importez un XLSX.") in page
    assert _products() == before
    assert list(import_folder.glob("*.bin")) == []


def test_second_confirmation_says_already_applied(login, manager, import_folder):
    load_example_catalogue()
    before = _products()
    client = login(manager)
    client.post("/catalog/manage/import", data={"file": (io.BytesIO(_csv(NEW_LINE)), "catalogue.csv")},
                content_type="multipart/form-data")
    token = next(import_folder.glob("*.bin")).stem
    first = client.post(f"/catalog/manage/import/{token}")
    second = client.post(f"/catalog/manage/import/{token}", follow_redirects=True)
    assert first.status_code == 302
    assert second.status_code == 200
    assert "Cet import a déjà été appliqué." in second.get_data(as_text=True)
    assert _products() == before + 1


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_route_downloads_catalogue(login, manager, file_format):
    load_example_catalogue()
    response = login(manager).get(f"/catalog/manage/export?format={file_format}")
    assert response.status_code == 200
    assert f"catalogue-2026-12-04.{file_format}" in response.headers["Content-Disposition"]
    if file_format == "csv":
        assert response.data.startswith(b"\xef\xbb\xbfR\xc3\xa9f\xc3\xa9rence;Nom;")
    else:
        sheet = load_workbook(io.BytesIO(response.data)).active
        assert sheet.max_row == _products() + 1


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_cli_export_then_dry_run_import(app, tmp_path, file_format):
    load_example_catalogue()
    runner = app.test_cli_runner()
    path = tmp_path / f"catalogue.{file_format}"
    result = runner.invoke(args=["catalog", "export", "--format", file_format, "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{_products()} produits exportés" in result.output
    result = runner.invoke(args=["catalog", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"À créer : 0 · à modifier : 0 · inchangés : {_products()} · rejetés : 0" in result.output
    assert "Simulation : rien n'a été enregistré." in result.output


def test_cli_import_prints_rejections_and_writes_valid_lines(app, tmp_path):
    load_example_catalogue()
    path = tmp_path / "catalogue.csv"
    path.write_bytes(_csv(NEW_LINE, BROKEN_LINE))
    before = _products()
    result = app.test_cli_runner().invoke(args=["catalog", "import", str(path), "--dry-run"])
    assert result.exit_code == 1
    assert "Ligne 2 : création de USB-32" in result.output
    assert "Ligne 3 : USB-64 rejeté : Taux de TVA 21\u00a0% invalide" in result.output
    assert _products() == before
    result = app.test_cli_runner().invoke(args=["catalog", "import", str(path)])
    assert result.exit_code == 1
    assert "Import terminé. Produits créés : 1 ; mis à jour : 0 ; lignes rejetées et non importées : 1." in result.output
    assert _products() == before + 1
    price = db.session.scalar(select(ProductPrice).join(Product).where(Product.reference == "USB-32"))
    assert str(price.unit_price) == "6.9000"
