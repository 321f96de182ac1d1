"""Helpers of the member tests: the shipped annuaire sample and hand-made annuaire extracts."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from members.models import Member, School

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
ANNUAIRE_SAMPLE = DATA_DIR / "samples" / "annuaire_extract_94.csv"


def annuaire_header() -> list[str]:
    """Return the 71 column names of the published annuaire, in their published order."""
    first_line = ANNUAIRE_SAMPLE.read_text(encoding="utf-8-sig").splitlines()[0]
    return first_line.split(";")


def annuaire_row(**values: str) -> dict[str, str]:
    """Return an annuaire row of an open public école élémentaire of Saint-Lô; keywords override columns."""
    row = {
        "Identifiant_de_l_etablissement": "0501250M",
        "Nom_etablissement": "Ecole élémentaire Les Palliers",
        "Type_etablissement": "Ecole",
        "Statut_public_prive": "Public",
        "Code_postal": "50000",
        "Code_commune": "50502",
        "Nom_commune": "Saint-Lô",
        "Ecole_maternelle": "0",
        "Ecole_elementaire": "1",
        "SIREN_SIRET": "21500502600012",
        "etat": "OUVERT",
        "libelle_nature": "ECOLE DE NIVEAU ELEMENTAIRE",
        "Type_contrat_prive": "SANS OBJET",
    }
    row.update(values)
    return row


def annuaire_csv(rows: list[dict[str, str]], *, bom: bool = True) -> bytes:
    """Write rows in the published format: every column, `;` separator, UTF-8 with a BOM."""
    header = annuaire_header()
    lines = [";".join(header)]
    for row in rows:
        lines.append(";".join(row.get(name, "") for name in header))
    text = "\r\n".join(lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))
