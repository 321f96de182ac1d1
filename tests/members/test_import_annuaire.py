"""`flask members import-annuaire` on the published sample and on hand-made extracts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from members.imports import ImportRefused, import_annuaire

from .helpers import ANNUAIRE_SAMPLE, Member, School, annuaire_csv, annuaire_row, count

NBSP = "\u00a0"


def member_by_siren(siren: str) -> Member | None:
    return db.session.scalar(select(Member).where(Member.siren == siren))


def school_by_uai(uai: str) -> School | None:
    return db.session.scalar(select(School).where(School.uai == uai))


def output_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


def test_sample_import_creates_members_and_schools(run_cli):
    result = run_cli("members", "import-annuaire", str(ANNUAIRE_SAMPLE))

    assert result.exit_code == 0, result.output
    assert count(Member) == 47
    assert count(School) == 612
    lines = output_lines(result)
    assert lines[0] == f"ligne 567{NBSP}: SIREN_SIRET est vide{NBSP}: l'adhérent qui paie pour cette école est inconnu."
    assert lines[-1] == (
        f"Adhérents{NBSP}: 47 créés, 0 mis à jour, 0 inchangés. "
        f"Écoles{NBSP}: 612 créées, 0 mises à jour, 0 inchangées. Lignes rejetées{NBSP}: 1."
    )
    assert school_by_uai("0942570H") is None


def test_sample_import_maps_columns(run_cli):
    run_cli("members", "import-annuaire", str(ANNUAIRE_SAMPLE))

    fresnes = member_by_siren("219400348")
    assert fresnes.name == "Fresnes"
    assert fresnes.kind == "commune"
    assert fresnes.insee_code == "94034"
    # Line 2 is Fresnes' first school, so its SIRET becomes the billing SIRET.
    assert fresnes.billing_siret == "21940034800195"
    school = school_by_uai("0940176F")
    assert school.name == "Ecole élémentaire Robert Doisneau"
    assert school.kind == "elementaire"
    assert school.sector == "public"
    assert school.postcode == "94260"
    assert school.commune_insee == "94034"
    assert school.commune_name == "Fresnes"
    assert school.member is fresnes
    assert school.is_open is True
    assert school.pupils is None


def test_sample_import_reports_other_sirets_once(run_cli):
    result = run_cli("members", "import-annuaire", str(ANNUAIRE_SAMPLE))

    fresnes_notices = [line for line in output_lines(result) if line.startswith("SIREN 219400348 (Fresnes)")]
    assert len(fresnes_notices) == 1
    assert "10 lignes donnent un autre SIRET" in fresnes_notices[0]
    assert "21940034800195, qui est conservé" in fresnes_notices[0]


def test_sample_second_run_creates_nothing(run_cli):
    run_cli("members", "import-annuaire", str(ANNUAIRE_SAMPLE))
    fresnes_siret = member_by_siren("219400348").billing_siret

    result = run_cli("members", "import-annuaire", str(ANNUAIRE_SAMPLE))

    assert result.exit_code == 0, result.output
    assert output_lines(result)[-1] == (
        f"Adhérents{NBSP}: 0 créés, 0 mis à jour, 47 inchangés. "
        f"Écoles{NBSP}: 0 créées, 0 mises à jour, 612 inchangées. Lignes rejetées{NBSP}: 1."
    )
    assert count(Member) == 47
    assert count(School) == 612
    assert member_by_siren("219400348").billing_siret == fresnes_siret


def test_sample_dry_run_writes_nothing(run_cli):
    result = run_cli("members", "import-annuaire", "--dry-run", str(ANNUAIRE_SAMPLE))

    assert result.exit_code == 0, result.output
    assert output_lines(result)[-1].startswith("Simulation, rien n'a été enregistré. Adhérents")
    assert "47 créés" in output_lines(result)[-1]
    assert count(Member) == 0
    assert count(School) == 0


def test_bad_rows_reported_good_rows_imported(run_cli, write_file):
    rows = [
        annuaire_row(Identifiant_de_l_etablissement="0501250M", Nom_etablissement="École maternelle de l'Église",
                     Ecole_maternelle="1", Ecole_elementaire="0"),
        annuaire_row(Identifiant_de_l_etablissement="0501251P"),  # check letter should be N
        annuaire_row(Identifiant_de_l_etablissement="0500001E", SIREN_SIRET="21500502600013"),
        annuaire_row(Identifiant_de_l_etablissement="0500002F", Nom_etablissement=""),
        annuaire_row(Identifiant_de_l_etablissement="0500003G", Nom_etablissement="Ecole primaire Jean Moulin",
                     Ecole_maternelle="1", Ecole_elementaire="1"),
        annuaire_row(Identifiant_de_l_etablissement="0501250M", Nom_etablissement="Doublon"),
        annuaire_row(Identifiant_de_l_etablissement="0500004H", Code_postal="5000"),
        annuaire_row(Identifiant_de_l_etablissement="0500005J", SIREN_SIRET=""),
    ]
    path = write_file(annuaire_csv(rows))

    result = run_cli("members", "import-annuaire", path)

    assert result.exit_code == 0, result.output
    lines = output_lines(result)
    assert lines[0] == f"ligne 3{NBSP}: UAI 0501251P invalide{NBSP}: sa lettre clé devrait être N."
    assert lines[1].startswith(f"ligne 4{NBSP}: SIRET 21500502600013 invalide{NBSP}: sa clé de contrôle est fausse")
    assert lines[2] == f"ligne 5{NBSP}: Nom_etablissement est vide."
    assert lines[3] == (
        f"ligne 7{NBSP}: L'UAI 0501250M figure déjà à la ligne 2 de ce fichier{NBSP}: cette ligne est ignorée."
    )
    assert lines[4] == f"ligne 8{NBSP}: Code_postal 5000 invalide{NBSP}: un code postal français compte 5 chiffres."
    assert lines[5].startswith(f"ligne 9{NBSP}: SIREN_SIRET est vide")
    assert lines[-1].endswith(f"Lignes rejetées{NBSP}: 6.")
    assert "Écoles\u00a0: 2 créées" in lines[-1]

    nursery = school_by_uai("0501250M")
    assert nursery.name == "École maternelle de l'Église"
    assert nursery.kind == "maternelle"
    assert school_by_uai("0500003G").kind == "primaire"
    assert count(School) == 2
    saint_lo = member_by_siren("215005026")
    assert saint_lo.name == "Saint-Lô"
    assert saint_lo.billing_siret == "21500502600012"


def test_file_without_bom_accepted(run_cli, write_file):
    path = write_file(annuaire_csv([annuaire_row()], bom=False))

    result = run_cli("members", "import-annuaire", path)

    assert result.exit_code == 0, result.output
    assert school_by_uai("0501250M").name == "Ecole élémentaire Les Palliers"


def test_existing_siret_kept_and_reported(app, factories, write_file, run_cli):
    factories.member(siren="215005026", name="Saint-Lô", billing_siret="21500502600020")
    db.session.commit()
    path = write_file(annuaire_csv([annuaire_row(SIREN_SIRET="21500502600012")]))

    result = run_cli("members", "import-annuaire", path)

    assert result.exit_code == 0, result.output
    assert member_by_siren("215005026").billing_siret == "21500502600020"
    assert "SIREN 215005026 (Saint-Lô)" in result.output
    assert "Adhérents\u00a0: 0 créés, 0 mis à jour, 1 inchangés" in result.output


def test_missing_siret_completed(factories, write_file, run_cli):
    factories.member(siren="215005026", name="Ville de Saint-Lô", billing_siret=None)
    db.session.commit()
    path = write_file(annuaire_csv([annuaire_row()]))

    result = run_cli("members", "import-annuaire", path)

    assert "Adhérents\u00a0: 0 créés, 1 mis à jour, 0 inchangés" in result.output
    member = member_by_siren("215005026")
    assert member.billing_siret == "21500502600012"
    assert member.name == "Ville de Saint-Lô"


def test_update_keeps_pupil_counts(factories, write_file, run_cli):
    member = factories.member(siren="215005026", name="Saint-Lô", billing_siret="21500502600012")
    factories.school(member=member, uai="0501250M", name="Ancien nom", kind="primaire", pupils=108, classes=6)
    db.session.commit()
    path = write_file(annuaire_csv([annuaire_row(etat="FERME")]))

    result = run_cli("members", "import-annuaire", path)

    assert "Écoles\u00a0: 0 créées, 1 mises à jour, 0 inchangées" in result.output
    school = school_by_uai("0501250M")
    assert school.name == "Ecole élémentaire Les Palliers"
    assert school.kind == "elementaire"
    assert school.is_open is False
    assert school.pupils == 108
    assert school.classes == 6


def test_private_school_gets_placeholder_member(write_file, run_cli):
    row = annuaire_row(Statut_public_prive="Privé", Type_contrat_prive="CONTRAT D'ASSOCIATION TOUTES CLASSES",
                       Nom_etablissement="Ecole privée Sainte-Marie", SIREN_SIRET="78030391300013")
    path = write_file(annuaire_csv([row]))

    run_cli("members", "import-annuaire", path)

    member = member_by_siren("780303913")
    assert member.kind == "other"
    assert member.name == "Organisme payeur de Ecole privée Sainte-Marie"
    assert school_by_uai("0501250M").sector == "private_contract"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "Le fichier est vide"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "données binaires"),
        ("Identifiant;Nom\r\n0501250M;École\r\n".encode("latin-1"), "n'est pas du texte UTF-8"),
        (b"siren,siret\n215005026,21500502600012\n", "il manque Identifiant_de_l_etablissement"),
        (b"just some words\nand more words\n", "n'a pas les colonnes attendues"),
    ],
    ids=["empty", "binary", "latin-1", "wrong-columns", "not-csv"],
)
def test_garbage_file_refused(factories, write_file, run_cli, data, expected):
    path = write_file(data)

    result = run_cli("members", "import-annuaire", path)

    assert result.exit_code == 1
    assert expected in result.output
    assert count(Member) == 0
    assert count(School) == 0


def test_header_only_refused(write_file, run_cli):
    path = write_file(annuaire_csv([]))

    result = run_cli("members", "import-annuaire", path)

    assert result.exit_code == 1
    assert "aucune ligne de données" in result.output


def test_refused_file_keeps_existing_rows(factories):
    member = factories.member(name="Commune existante")

    with pytest.raises(ImportRefused):
        import_annuaire(b"\x00\x01\x02")

    assert db.session.get(Member, member.id).name == "Commune existante"


def test_cut_short_row_rejected(write_file, run_cli):
    data = annuaire_csv([annuaire_row()]) + "0500001E;Ecole courte;Ecole\r\n".encode()
    path = write_file(data)

    result = run_cli("members", "import-annuaire", path)

    assert f"ligne 3{NBSP}: La ligne est tronquée{NBSP}: la colonne Statut_public_prive manque." in result.output
    assert school_by_uai("0501250M") is not None
