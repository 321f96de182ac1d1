"""The example catalogue loaded by `flask demo load`: fictitious suppliers, contracts and prices.

Every supplier is invented and named "(exemple)"; their SIRENs are generated numbers that pass
the Luhn checksum. Every product has is_example=True, so the interface labels its price as an
example. Loading twice changes nothing: rows are matched by code, SIREN, contract number and lot,
product reference and price start date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db

from .models import (
    Category,
    Contract,
    PriceTier,
    Product,
    ProductPrice,
    SalesMode,
    SaleUnit,
    Supplier,
    TierMode,
)

logger = logging.getLogger(__name__)

TRAINING_EXEMPTION_REASON = (
    "Exonération de TVA, article 261-4-4° a du CGI (formation professionnelle continue)"
)

CATEGORIES = (
    # (code, name, position)
    ("ent", "ENT et abonnements", 1),
    ("materiel", "Matériel informatique", 2),
    ("licences", "Licences logicielles et ressources numériques", 3),
    ("formation", "Formation", 4),
    ("services", "Services", 5),
)

SUPPLIERS = (
    # (key, name, SIREN, SIRET, address, contact name, contact e-mail)
    ("ent", "Éduplateforme Normandie (exemple)", "900812348", "90081234800010",
     "12 rue des Écoles, 50000 Saint-Lô", "Claire Lemonnier", "contact@eduplateforme.example"),
    ("materiel", "Numéribus Équipement (exemple)", "900813577", "90081357700013",
     "4 avenue de Paris, 14000 Caen", "Julien Hamel", "marches@numeribus.example"),
    ("logiciels", "Logiscol Diffusion (exemple)", "900814682", "90081468200010",
     "27 quai de Juillet, 14000 Caen", "Sophie Marie", "collectivites@logiscol.example"),
    ("formation", "Forma'Numérique Cotentin (exemple)", "900815796", "90081579600017",
     "8 rue du Val de Saire, 50100 Cherbourg-en-Cotentin", "Thomas Lecoq", "inscriptions@formanumerique.example"),
)

CONTRACTS = (
    # (key, number, lot, title, supplier key, start, end, sales mode)
    ("ent", "2024-MN-ENT-01", "1", "ENT du premier degré", "ent",
     date(2024, 9, 1), date(2028, 8, 31), SalesMode.RESALE),
    ("materiel", "2025-MN-MAT-02", "1", "Matériel informatique pédagogique", "materiel",
     date(2025, 1, 1), date(2028, 8, 31), SalesMode.RESALE),
    ("materiel-echu", "2022-MN-MAT-07", "3", "Tablettes (marché échu)", "materiel",
     date(2022, 9, 1), date(2026, 6, 30), SalesMode.RESALE),
    ("logiciels", "2025-MN-LOG-03", "2", "Logiciels et ressources numériques", "logiciels",
     date(2025, 3, 1), date(2028, 8, 31), SalesMode.INTERMEDIATION),
    ("formation", "2026-MN-FOR-04", "1", "Formation aux usages numériques", "formation",
     date(2026, 1, 1), date(2028, 8, 31), SalesMode.RESALE),
)


@dataclass(frozen=True)
class ExampleProduct:
    reference: str
    name: str
    description: str
    category: str
    contract: str
    unit: SaleUnit
    # (valid from, valid to or None, unit price excluding VAT), oldest first.
    prices: tuple[tuple[date, date | None, str], ...]
    vat_category: str = "S"
    vat_rate: str = "20.00"
    vat_exemption_reason: str = ""
    is_subscription: bool = False
    tier_mode: TierMode = TierMode.NONE
    tiers: tuple[tuple[int, str], ...] = field(default_factory=tuple)


SINCE_2024 = date(2024, 9, 1)
SINCE_2025 = date(2025, 1, 1)

PRODUCTS = (
    ExampleProduct(
        "ENT-ECOLE", "ENT primaire – abonnement annuel par école",
        "Ouverture et hébergement de l'espace numérique de travail d'une école pour une année "
        "scolaire : portail, cahier de liaison, blog de classe et espace documentaire.",
        "ent", "ent", SaleUnit.SCHOOL,
        ((SINCE_2024, date(2025, 8, 31), "175.00"), (date(2025, 9, 1), None, "180.00")),
        is_subscription=True, tier_mode=TierMode.GRADUATED,
        tiers=((1, "180.00"), (50, "160.00"), (150, "140.00")),
    ),
    ExampleProduct(
        "ENT-CLASSE", "ENT primaire – abonnement annuel par classe",
        "Espace de classe de l'ENT pour une année scolaire : cahier de textes, classe "
        "virtuelle et partage de documents avec les familles.",
        "ent", "ent", SaleUnit.CLASS, ((SINCE_2024, None, "24.50"),),
        is_subscription=True, tier_mode=TierMode.VOLUME,
        tiers=((1, "24.50"), (500, "21.90"), (1500, "19.80")),
    ),
    ExampleProduct(
        "ENT-ELEVE", "ENT primaire – compte élève pour l'année scolaire",
        "Un compte élève et les comptes de ses responsables légaux pour une année scolaire.",
        "ent", "ent", SaleUnit.PUPIL, ((SINCE_2024, None, "3.20"),),
        is_subscription=True, tier_mode=TierMode.VOLUME,
        tiers=((1, "3.20"), (5000, "2.80"), (15000, "2.40")),
    ),
    ExampleProduct(
        "ENT-MESSAGERIE", "Module de messagerie avec les familles (par compte élève)",
        "Option de l'ENT : messagerie sécurisée entre l'école et les familles, par compte élève.",
        "ent", "ent", SaleUnit.PUPIL, ((SINCE_2024, None, "0.4750"),), is_subscription=True,
    ),
    ExampleProduct(
        "SRV-ASSISTANCE-ENT", "Assistance téléphonique ENT – forfait annuel par école",
        "Assistance aux directeurs et enseignants du lundi au vendredi, de 8 h à 18 h.",
        "services", "ent", SaleUnit.SCHOOL, ((SINCE_2024, None, "60.00"),), is_subscription=True,
    ),
    ExampleProduct(
        "MAT-PORTABLE-14", "Ordinateur portable 14 pouces pour enseignant",
        "Processeur 4 cœurs, 16 Go de mémoire, SSD 512 Go, garantie 3 ans sur site.",
        "materiel", "materiel", SaleUnit.ITEM, ((SINCE_2025, None, "689.00"),),
    ),
    ExampleProduct(
        "MAT-TABLETTE-10", "Tablette tactile 10 pouces avec coque renforcée",
        "Tablette 64 Go livrée avec une coque antichoc et un verre de protection.",
        "materiel", "materiel", SaleUnit.ITEM, ((SINCE_2025, None, "329.90"),),
    ),
    ExampleProduct(
        "MAT-VPI-UCF", "Vidéoprojecteur interactif ultra-courte focale",
        "Vidéoprojecteur interactif 4 000 lumens avec support mural et deux stylets.",
        "materiel", "materiel", SaleUnit.ITEM, ((SINCE_2025, None, "1249.00"),),
    ),
    ExampleProduct(
        "MAT-CHARIOT-16", "Chariot de rechargement pour 16 tablettes",
        "Chariot mobile verrouillable avec rechargement séquentiel de 16 tablettes.",
        "materiel", "materiel", SaleUnit.ITEM, ((SINCE_2025, None, "899.50"),),
    ),
    ExampleProduct(
        "MAT-CASQUE-ELEVE", "Casque audio filaire pour élève",
        "Casque léger à arceau réglable, câble renforcé, prise jack 3,5 mm.",
        "materiel", "materiel", SaleUnit.ITEM, ((SINCE_2025, None, "12.4500"),),
    ),
    ExampleProduct(
        "SRV-INSTALLATION-VPI", "Installation et paramétrage d'un vidéoprojecteur interactif",
        "Pose murale, raccordement et calibrage sur place, prise en main de 30 minutes.",
        "services", "materiel", SaleUnit.ITEM, ((SINCE_2025, None, "180.00"),),
    ),
    ExampleProduct(
        "SRV-RECYCLAGE-DEEE", "Reprise et recyclage d'un équipement informatique usagé",
        "Enlèvement sur site et recyclage dans la filière des déchets d'équipements électriques "
        "et électroniques, avec certificat de destruction des données.",
        "services", "materiel", SaleUnit.ITEM, ((SINCE_2025, None, "8.50"),),
    ),
    ExampleProduct(
        "MAT-TABLETTE-9-ANCIEN", "Tablette 9 pouces (ancien marché)",
        "Modèle de l'ancien marché de tablettes, qui a pris fin le 30/06/2026.",
        "materiel", "materiel-echu", SaleUnit.ITEM, ((date(2022, 9, 1), None, "279.00"),),
    ),
    ExampleProduct(
        "LOG-BUREAUTIQUE", "Suite bureautique en ligne – licence par école",
        "Traitement de texte, tableur et présentation en ligne pour toute l'école, pour un an.",
        "licences", "logiciels", SaleUnit.SCHOOL, ((date(2025, 3, 1), None, "95.00"),),
        is_subscription=True,
    ),
    ExampleProduct(
        "LOG-ANTIVIRUS", "Antivirus pour poste de travail – licence annuelle",
        "Protection d'un poste Windows ou macOS pour un an, console d'administration incluse.",
        "licences", "logiciels", SaleUnit.ITEM, ((date(2025, 3, 1), None, "18.7500"),),
        is_subscription=True,
    ),
    ExampleProduct(
        "LIV-MATHS-CM", "Manuel numérique de mathématiques CM1-CM2 (licence élève, un an)",
        "Livre numérique homothétique et enrichi, accessible depuis l'ENT, pour un élève et un an.",
        "licences", "logiciels", SaleUnit.PUPIL, ((date(2025, 3, 1), None, "6.90"),),
        vat_rate="5.50", is_subscription=True,
    ),
    ExampleProduct(
        "LIV-BIBLIOTHEQUE-CLASSE", "Bibliothèque numérique de lecture jeunesse (licence classe, un an)",
        "Deux cents livres numériques de littérature jeunesse pour une classe, pendant un an.",
        "licences", "logiciels", SaleUnit.CLASS, ((date(2025, 3, 1), None, "49.00"),),
        vat_rate="5.50", is_subscription=True,
    ),
    ExampleProduct(
        "FOR-ADMIN-ENT", "Formation des administrateurs de l'ENT",
        "Une journée pour les directeurs d'école : comptes, droits, rentrée scolaire et "
        "communication avec les familles.",
        "formation", "formation", SaleUnit.TRAINING_DAY, ((date(2026, 1, 1), None, "650.00"),),
        vat_category="E", vat_rate="0.00", vat_exemption_reason=TRAINING_EXEMPTION_REASON,
    ),
    ExampleProduct(
        "FOR-USAGES-NUMERIQUES", "Formation aux usages pédagogiques du numérique",
        "Une journée en école pour une équipe de douze enseignants au plus.",
        "formation", "formation", SaleUnit.TRAINING_DAY, ((date(2026, 1, 1), None, "590.00"),),
        vat_category="E", vat_rate="0.00", vat_exemption_reason=TRAINING_EXEMPTION_REASON,
    ),
    ExampleProduct(
        "FOR-TABLETTES-CLASSE", "Atelier de prise en main des tablettes en classe",
        "Une journée d'atelier pratique : applications, partage d'écran et gestion de la flotte.",
        "formation", "formation", SaleUnit.TRAINING_DAY, ((date(2026, 1, 1), None, "540.00"),),
        vat_category="E", vat_rate="0.00", vat_exemption_reason=TRAINING_EXEMPTION_REASON,
    ),
    ExampleProduct(
        "SRV-REPAS-FORMATION", "Déjeuner des stagiaires pendant une journée de formation",
        "Repas servi sur le lieu de formation, par stagiaire (restauration au taux réduit de 10 %).",
        "services", "formation", SaleUnit.ITEM, ((date(2026, 1, 1), None, "15.4500"),),
        vat_rate="10.00",
    ),
)


def _upsert(model, lookup: dict, values: dict):
    """Return the row matching ``lookup``, created or updated with ``values``."""
    row = db.session.scalar(select(model).filter_by(**lookup))
    if row is None:
        row = model(**lookup)
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    return row


def load_example_catalogue() -> None:
    """Create or update the example catalogue in the caller's transaction (flushed, not committed).

    Prices are added only for start dates that the product does not have yet, and tiers only
    when the product has none, so a second load duplicates nothing and keeps a manager's changes
    to prices and tiers.
    """
    categories = {
        code: _upsert(Category, {"code": code}, {"name": name, "position": position})
        for code, name, position in CATEGORIES
    }
    suppliers = {
        key: _upsert(
            Supplier,
            {"siren": siren},
            {"name": name, "siret": siret, "address": address, "contact_name": contact,
             "contact_email": email},
        )
        for key, name, siren, siret, address, contact, email in SUPPLIERS
    }
    contracts = {
        key: _upsert(
            Contract,
            {"number": number, "lot": lot},
            {"title": title, "supplier": suppliers[supplier], "start_date": start,
             "end_date": end, "sales_mode": mode.value},
        )
        for key, number, lot, title, supplier, start, end, mode in CONTRACTS
    }
    db.session.flush()

    for example in PRODUCTS:
        product = _upsert(
            Product,
            {"reference": example.reference},
            {
                "name": example.name,
                "description": example.description,
                "category": categories[example.category],
                "contract": contracts[example.contract],
                "unit": example.unit.value,
                "vat_category": example.vat_category,
                "vat_rate": Decimal(example.vat_rate),
                "vat_exemption_reason": example.vat_exemption_reason,
                "is_subscription": example.is_subscription,
                "tier_mode": example.tier_mode.value,
                "is_example": True,
            },
        )
        known_starts = {price.valid_from for price in product.prices}
        for valid_from, valid_to, unit_price in example.prices:
            if valid_from not in known_starts:
                product.prices.append(
                    ProductPrice(unit_price=Decimal(unit_price), valid_from=valid_from, valid_to=valid_to)
                )
        if example.tiers and not product.tiers:
            for from_quantity, unit_price in example.tiers:
                product.tiers.append(PriceTier(from_quantity=from_quantity, unit_price=Decimal(unit_price)))
    db.session.flush()
    logger.info("Example catalogue loaded: %s products, %s contracts", len(PRODUCTS), len(CONTRACTS))
