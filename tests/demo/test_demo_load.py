"""`flask demo load` and `flask demo accounts` on the data shipped in data/."""

from __future__ import annotations

import csv
from pathlib import Path


import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.auth.passwords import verify_password
from app.extensions import db
from members.models import Member, School

NBSP = "\u00a0"
SAINT_LO_SIREN = "215005026"
DEMO_PASSWORD = "demo-centrale"


@pytest.fixture
def run_cli(app):
    runner = app.test_cli_runner()

    def run(*args: str):
        result = runner.invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result

    return run


def count(statement) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.subquery()))


def snapshot() -> dict:
    """Return the counts and a few fields that a second load must leave as they are."""
    saint_lo = db.session.scalar(select(Member).where(Member.siren == SAINT_LO_SIREN))
    return {
        "members": count(select(Member.id)),
        "communes": count(select(Member.id).where(Member.kind == "commune")),
        "epcis": count(select(Member.id).where(Member.kind == "epci")),
        "schools": count(select(School.id)),
        "open_schools": count(select(School.id).where(School.is_open.is_(True))),
        "sirets": dict(db.session.execute(select(Member.siren, Member.billing_siret).where(Member.billing_siret.is_not(None))).all()),
        "users": count(select(User.id)),
        "saint_lo": (saint_lo.name, saint_lo.postcode, saint_lo.city, saint_lo.insee_code, saint_lo.updated_at),
        "pupils": db.session.scalar(select(func.sum(School.pupils))),
    }


def shipped_public_pupils_2025() -> int:
    path = Path(__file__).resolve().parents[2] / "data" / "schools_1d_50_14.csv"
    with path.open(encoding="utf-8") as handle:
        return sum(
            int(row["nb_eleves_rentree2025"])
            for row in csv.DictReader(handle)
            if row["secteur"] == "public" and row["nb_eleves_rentree2025"]
        )


def test_demo_load_counts(run_cli):
    run_cli("demo", "load")

    state = snapshot()
    assert state["communes"] == 436
    assert state["epcis"] == 24
    assert state["members"] == 460
    assert state["schools"] == 635
    assert state["open_schools"] == 624
    assert state["sirets"] == {"211400015": "21140001500015", "211404090": "21140409000030"}
    # Pupils of the open public schools at the 2025 school start, summed from the shipped file.
    assert state["pupils"] == shipped_public_pupils_2025()


def test_demo_load_saint_lo(run_cli):
    run_cli("demo", "load")

    saint_lo = db.session.scalar(select(Member).where(Member.siren == SAINT_LO_SIREN))
    assert saint_lo.name == "Saint-Lô"
    assert saint_lo.kind == "commune"
    assert (saint_lo.postcode, saint_lo.city, saint_lo.insee_code) == ("50000", "Saint-Lô", "50502")
    assert saint_lo.billing_siret is None
    schools = {school.uai: school for school in saint_lo.schools}
    assert len(schools) == 5
    palliers = schools["0501250M"]
    assert palliers.name == "École primaire Les Palliers"
    assert palliers.kind == "primaire"
    assert (palliers.pupils, palliers.classes, palliers.counts_school_year) == (108, 6, 2025)
    assert palliers.is_open is True
    agglo = db.session.scalar(select(Member).where(Member.siren == "200066389"))
    assert agglo.kind == "epci"
    assert agglo.name == "CA Saint-Lô Agglo"


def test_demo_load_closed_schools(run_cli):
    run_cli("demo", "load")

    closed = db.session.scalars(select(School).where(School.is_open.is_(False))).all()
    assert sorted(school.uai for school in closed) == [
        "0140545S", "0141774C", "0500244U", "0500307M", "0500355P", "0500470P",
        "0500751V", "0500969G", "0500998N", "0501808U", "0501832V",
    ]
    assert all(school.pupils is None and school.classes is None for school in closed)
    assert all(school.counts_school_year is None for school in closed)


def test_demo_load_leaves_private_schools_out(run_cli):
    run_cli("demo", "load")

    assert count(select(School.id).where(School.sector != "public")) == 0
    # 0141318G (École élémentaire privée Notre-Dame) is private under contract in the shipped file.
    assert db.session.scalar(select(School).where(School.uai == "0141318G")) is None


def test_demo_accounts_created(run_cli):
    run_cli("demo", "load")

    users = {user.email: user for user in db.session.scalars(select(User))}
    expected_roles = {
        "acheteur@demo.centrale.test": "buyer",
        "valideur@demo.centrale.test": "approver",
        "catalogue@demo.centrale.test": "catalog_manager",
        "finance@demo.centrale.test": "finance",
        "admin@demo.centrale.test": "admin",
    }
    assert {email: users[email].role for email in expected_roles} == expected_roles
    assert users["acheteur@demo.centrale.test"].member.siren == SAINT_LO_SIREN
    assert users["valideur@demo.centrale.test"].member.siren == SAINT_LO_SIREN
    assert users["admin@demo.centrale.test"].member is None
    assert users["acheteur@demo.centrale.test"].full_name == "Camille Lefèvre"
    assert verify_password(users["finance@demo.centrale.test"].password_hash, DEMO_PASSWORD)


def test_demo_second_load_changes_nothing(run_cli):
    run_cli("demo", "load")
    before = snapshot()

    result = run_cli("demo", "load")

    assert snapshot() == before
    assert f"Adhérents{NBSP}: 0 créés, 0 complétés. Écoles{NBSP}: 0 créées, 0 complétées" in result.output
    assert f"Comptes{NBSP}: 0 créés." in result.output


def test_demo_load_keeps_hand_edits(run_cli, app):
    from app.auth.passwords import hash_password

    run_cli("demo", "load")
    saint_lo = db.session.scalar(select(Member).where(Member.siren == SAINT_LO_SIREN))
    saint_lo.billing_siret = "21500502600012"
    saint_lo.city = "Saint-Lô Cedex"
    buyer = db.session.scalar(select(User).where(User.email == "acheteur@demo.centrale.test"))
    buyer.password_hash = hash_password("un-autre-mot-de-passe")
    palliers = db.session.scalar(select(School).where(School.uai == "0501250M"))
    palliers.pupils, palliers.classes, palliers.counts_school_year = 112, 6, 2026
    db.session.commit()

    run_cli("demo", "load")

    db.session.expire_all()
    saint_lo = db.session.scalar(select(Member).where(Member.siren == SAINT_LO_SIREN))
    assert saint_lo.billing_siret == "21500502600012"
    assert saint_lo.city == "Saint-Lô Cedex"
    buyer = db.session.scalar(select(User).where(User.email == "acheteur@demo.centrale.test"))
    assert verify_password(buyer.password_hash, "un-autre-mot-de-passe")
    palliers = db.session.scalar(select(School).where(School.uai == "0501250M"))
    assert (palliers.pupils, palliers.counts_school_year) == (112, 2026)


def test_demo_accounts_printed(run_cli):
    result = run_cli("demo", "accounts")

    lines = result.output.splitlines()
    assert lines[0] == f"Ouvrez http://127.0.0.1:5000/login et connectez-vous avec l'un de ces comptes{NBSP}:"
    assert lines[1].split() == ["acheteur@demo.centrale.test", "Acheteur"]
    assert lines[2].split() == ["valideur@demo.centrale.test", "Valideur"]
    assert "catalogue@demo.centrale.test" in lines[3]
    assert "finance@demo.centrale.test" in lines[4]
    assert "admin@demo.centrale.test" in lines[5]
    assert lines[6] == f"Mot de passe de tous les comptes de démonstration{NBSP}: {DEMO_PASSWORD}"
