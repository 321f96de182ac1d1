"""`flask members import-sirets`: billing SIRETs completed from a siren,siret CSV."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db

from .helpers import Member

NBSP = "\u00a0"
HEADER = "siren,siret,nom,kind,source_note\n"


def billing_siret(siren: str) -> str | None:
    return db.session.scalar(select(Member.billing_siret).where(Member.siren == siren))


def test_sirets_good_and_bad_rows(factories, write_file, run_cli):
    factories.member(siren="211400015", name="Ablon")
    factories.member(siren="211404090", name="Merville-Franceville-Plage", billing_siret="21140409000030")
    factories.member(siren="215005026", name="Saint-Lô", billing_siret="21500502600020")
    factories.member(siren="211401187", name="Commune sans SIRET")
    db.session.commit()
    path = write_file(
        (
            HEADER
            + "211400015,21140001500015,Ablon,commune,\n"
            + "211404090,21140409000030,Merville-Franceville-Plage,commune,\n"
            + "215005026,21500502600012,Saint-Lô,commune,\n"
            + "211401187,21140118700019,Commune sans SIRET,commune,\n"
            + "211401187,21140001500015,Commune sans SIRET,commune,\n"
            + "219400348,21940034800195,Fresnes,commune,\n"
            + "21140001,21140001500015,Trop court,commune,\n"
        ).encode()
    )

    result = run_cli("members", "import-sirets", path)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        f"ligne 4{NBSP}: L'adhérent Saint-Lô a déjà le SIRET de facturation 21500502600020{NBSP}: "
        "21500502600012 n'est pas enregistré. Modifiez-le sur la page de l'adhérent s'il est faux."
    )
    assert lines[1].startswith(f"ligne 5{NBSP}: SIRET 21140118700019 invalide")
    assert lines[2] == (
        f"ligne 6{NBSP}: Le SIRET 21140001500015 n'appartient pas au SIREN 211401187{NBSP}: "
        "un SIRET commence par le SIREN de son entité juridique."
    )
    assert lines[3] == (
        f"ligne 7{NBSP}: Aucun adhérent n'a le SIREN 219400348{NBSP}: "
        "importez d'abord l'adhérent ou corrigez le SIREN."
    )
    assert lines[4].startswith(f"ligne 8{NBSP}: SIREN 21140001 invalide")
    assert lines[5].startswith(f"Adhérents{NBSP}: 0 créés, 1 mis à jour, 1 inchangés.")
    assert lines[5].endswith(f"Lignes rejetées{NBSP}: 5.")
    assert billing_siret("211400015") == "21140001500015"
    assert billing_siret("211404090") == "21140409000030"
    assert billing_siret("215005026") == "21500502600020"
    assert billing_siret("211401187") is None


def test_sirets_second_run_changes_nothing(factories, write_file, run_cli):
    factories.member(siren="211400015", name="Ablon")
    db.session.commit()
    path = write_file((HEADER + "211400015,21140001500015,Ablon,commune,\n").encode())
    run_cli("members", "import-sirets", path)

    result = run_cli("members", "import-sirets", path)

    assert f"Adhérents{NBSP}: 0 créés, 0 mis à jour, 1 inchangés." in result.output
    assert billing_siret("211400015") == "21140001500015"


def test_sirets_dry_run_writes_nothing(factories, write_file, run_cli):
    factories.member(siren="211400015", name="Ablon")
    db.session.commit()
    path = write_file((HEADER + "211400015,21140001500015,Ablon,commune,\n").encode())

    result = run_cli("members", "import-sirets", "--dry-run", path)

    assert result.exit_code == 0, result.output
    assert "Simulation, rien n'a été enregistré." in result.output
    assert "1 mis à jour" in result.output
    assert billing_siret("211400015") is None


def test_sirets_wrong_columns_refused(factories, write_file, run_cli):
    factories.member(siren="211400015", name="Ablon")
    db.session.commit()
    path = write_file(b"code;numero\n211400015;21140001500015\n")

    result = run_cli("members", "import-sirets", path)

    assert result.exit_code == 1
    assert "il manque siren, siret" in result.output
    assert billing_siret("211400015") is None
