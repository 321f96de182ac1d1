"""Load the demonstration data shipped in data/: members, schools, SIRETs and accounts.

Every step creates what is missing and fills only empty values, so running the load again
changes nothing, and it never overwrites a value someone changed by hand (a SIRET, counts, a
password). Rows are matched by SIREN (members), UAI (schools) and e-mail (accounts), with one
query per table rather than one per row.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.auth.roles import Role
from app.auth.services import create_user
from app.config import PROJECT_ROOT
from app.extensions import db
from members.imports import ImportReport, import_sirets
from members.models import Member, MemberKind, School, SchoolSector

logger = logging.getLogger(__name__)

DATA_DIR = PROJECT_ROOT / "data"
SCHOOLS_FILE = "schools_1d_50_14.csv"
COMMUNES_FILE = "communes_50_14.csv"
EPCI_FILE = "epci_50_14.csv"
SIRETS_FILE = "sirets_50_14.csv"

# Starting year of the school year whose counts the schools file gives (2025-2026).
COUNTS_SCHOOL_YEAR = 2025
SAINT_LO_SIREN = "215005026"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: Role
    full_name: str
    member_siren: str | None = None


DEMO_ACCOUNTS = (
    DemoAccount("acheteur@demo.centrale.test", Role.BUYER, "Camille Lefèvre", SAINT_LO_SIREN),
    DemoAccount("valideur@demo.centrale.test", Role.APPROVER, "Julien Marie", SAINT_LO_SIREN),
    DemoAccount("catalogue@demo.centrale.test", Role.CATALOG_MANAGER, "Sophie Lemonnier"),
    DemoAccount("finance@demo.centrale.test", Role.FINANCE, "Thomas Hébert"),
    DemoAccount("admin@demo.centrale.test", Role.ADMIN, "Claire Duval"),
)


@dataclass
class DemoReport:
    """Counts of what one demo load created or completed."""

    members_created: int = 0
    members_completed: int = 0
    schools_created: int = 0
    schools_completed: int = 0
    accounts_created: int = 0
    sirets: ImportReport | None = None
    skipped_private_schools: int = 0
    warnings: list[str] = field(default_factory=list)


def read_data_file(name: str, data_dir: Path = DATA_DIR) -> list[dict[str, str]]:
    with open(data_dir / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _whole_number(value: str) -> int | None:
    return int(value) if value.strip() else None


def _fill_empty(record, values: dict) -> bool:
    """Set each attribute that is empty (None or "") to its value; return whether one changed."""
    changed = False
    for name, value in values.items():
        if value in (None, ""):
            continue
        if getattr(record, name) in (None, ""):
            setattr(record, name, value)
            changed = True
    return changed


def _member_values(data_dir: Path, public_schools: list[dict[str, str]]) -> dict[str, dict]:
    """Return the member fields per SIREN: the communes with a public school, then their EPCIs."""
    communes = {row["siren"]: row for row in read_data_file(COMMUNES_FILE, data_dir)}
    epcis = {row["epci_siren"]: row for row in read_data_file(EPCI_FILE, data_dir)}
    values: dict[str, dict] = {}
    for siren in sorted({row["commune_siren"] for row in public_schools}):
        commune = communes[siren]
        values[siren] = {
            "name": commune["nom"],
            "kind": MemberKind.COMMUNE.value,
            # The data gives no street address; a commune's mail reaches it as "Mairie".
            "address_line1": "Mairie",
            "insee_code": commune["commune_insee"],
            # A commune with several postcodes lists them with |; its first one is used.
            "postcode": commune["codes_postaux"].split("|")[0],
            "city": commune["nom"],
        }
    for epci_siren in sorted({communes[siren]["epci_siren"] for siren in list(values)}):
        values[epci_siren] = {"name": epcis[epci_siren]["nom"], "kind": MemberKind.EPCI.value}
    return values


def load_members(report: DemoReport, member_values: dict[str, dict]) -> dict[str, Member]:
    existing = {
        member.siren: member
        for member in db.session.scalars(select(Member).where(Member.siren.in_(member_values)))
    }
    for siren, values in member_values.items():
        member = existing.get(siren)
        if member is None:
            member = Member(siren=siren, **values)
            db.session.add(member)
            existing[siren] = member
            report.members_created += 1
        elif _fill_empty(member, values):
            report.members_completed += 1
    db.session.flush()
    return existing


def _school_values(row: dict[str, str]) -> dict:
    pupils = _whole_number(row["nb_eleves_rentree2025"])
    classes = _whole_number(row["nb_classes_rentree2025"])
    # The schools with no 2025 count closed or merged before that school start.
    is_open = pupils is not None
    return {
        "name": row["nom"],
        "kind": row["type_ecole"],
        "sector": SchoolSector.PUBLIC.value,
        "postcode": row["code_postal"],
        "commune_insee": row["commune_insee"],
        "commune_name": row["commune_nom_cog2026"],
        "pupils": pupils,
        "classes": classes,
        "counts_school_year": COUNTS_SCHOOL_YEAR if is_open else None,
        "is_open": is_open,
    }


def load_schools(report: DemoReport, public_schools: list[dict[str, str]], members: dict[str, Member]) -> None:
    existing = {
        school.uai: school
        for school in db.session.scalars(
            select(School).where(School.uai.in_({row["uai"] for row in public_schools}))
        )
    }
    for row in public_schools:
        values = _school_values(row)
        school = existing.get(row["uai"])
        if school is None:
            school = School(uai=row["uai"], member=members[row["commune_siren"]], **values)
            db.session.add(school)
            existing[row["uai"]] = school
            report.schools_created += 1
            continue
        # is_open is a boolean that is never empty, so only the other fields are completed.
        values.pop("is_open")
        if school.counts_school_year is not None:
            for name in ("pupils", "classes", "counts_school_year"):
                values.pop(name)
        if _fill_empty(school, values):
            report.schools_completed += 1
    db.session.flush()


def ensure_demo_accounts(report: DemoReport, password: str) -> None:
    """Create each missing demo account; an existing one keeps its password and settings."""
    emails = [account.email for account in DEMO_ACCOUNTS]
    existing = set(db.session.scalars(select(User.email).where(User.email.in_(emails))))
    sirens = {account.member_siren for account in DEMO_ACCOUNTS if account.member_siren}
    members = {member.siren: member for member in db.session.scalars(select(Member).where(Member.siren.in_(sirens)))}
    for account in DEMO_ACCOUNTS:
        if account.email in existing:
            continue
        member = members.get(account.member_siren) if account.member_siren else None
        if account.member_siren and member is None:
            report.warnings.append(
                _(
                    "%(email)s was not created: no member has SIREN %(siren)s.",
                    email=account.email,
                    siren=account.member_siren,
                )
            )
            continue
        create_user(
            email=account.email,
            password=password,
            role=account.role,
            member=member,
            full_name=account.full_name,
        )
        report.accounts_created += 1


def load_demo(password: str, data_dir: Path = DATA_DIR) -> DemoReport:
    """Load the communes and EPCIs with public primary schools, the schools, SIRETs and accounts.

    Private schools are skipped because the data does not name the OGEC that runs each of them.
    Flushes and leaves the commit to the caller.
    """
    report = DemoReport()
    logger.info("Demo load started from %s", data_dir)
    schools = read_data_file(SCHOOLS_FILE, data_dir)
    public_schools = [row for row in schools if row["secteur"] == "public"]
    report.skipped_private_schools = len(schools) - len(public_schools)

    members = load_members(report, _member_values(data_dir, public_schools))
    load_schools(report, public_schools, members)
    report.sirets = import_sirets((data_dir / SIRETS_FILE).read_bytes())
    for message in report.sirets.messages:
        report.warnings.append(str(message))
    ensure_demo_accounts(report, password)
    db.session.flush()
    logger.info(
        "Demo load finished: %s members created, %s schools created, %s accounts created",
        report.members_created, report.schools_created, report.accounts_created,
    )
    return report
