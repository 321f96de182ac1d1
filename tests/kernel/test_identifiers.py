"""French identifiers: SIREN and SIRET checksums, UAI check letter, INSEE code, VAT key.

The messages are checked in French: the tests run in an application context, whose locale is
the default one, fr.
"""

import pytest
from stdnum import luhn

from app.errors import ValidationFailed
from app.identifiers import (
    siren_of_siret,
    uai_check_letter,
    validate_insee_code,
    validate_siren,
    validate_siret,
    validate_uai,
    vat_number_for_siren,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("215005026", "215005026"),  # Saint-Lô
        ("215 005 026", "215005026"),
        ("215\u00a0005\u202f026", "215005026"),
        ("200066389", "200066389"),  # CA Saint-Lô Agglo
        ("356000000", "356000000"),  # La Poste
    ],
)
def test_siren_valid(text, expected):
    assert validate_siren(text) == expected


def test_siren_bad_check_digit():
    with pytest.raises(ValidationFailed) as error:
        validate_siren("215005027")

    assert str(error.value).startswith("SIREN 215005027 invalide")
    assert "algorithme de Luhn" in str(error.value)


@pytest.mark.parametrize("text", ["21500502", "2150050260", "21500502A"])
def test_siren_wrong_length_or_letters(text):
    with pytest.raises(ValidationFailed, match="exactement 9 chiffres"):
        validate_siren(text)


def test_siren_missing():
    with pytest.raises(ValidationFailed, match="SIREN manquant"):
        validate_siren("  ")


def test_siret_valid_luhn():
    assert validate_siret("215 005 026 00012") == "21500502600012"


def test_siret_la_poste_head_office():
    # La Poste's head office, 35600000000048, passes Luhn like any other SIRET.
    assert luhn.is_valid("35600000000048")

    assert validate_siret("35600000000048") == "35600000000048"


def test_siret_la_poste_digit_sum():
    # La Poste's other establishments fail Luhn; their digits must sum to a multiple of 5.
    assert not luhn.is_valid("35600000049837")
    assert sum(int(digit) for digit in "35600000049837") % 5 == 0

    assert validate_siret("35600000049837") == "35600000049837"


def test_siret_la_poste_bad_digit_sum():
    with pytest.raises(ValidationFailed, match="somme des chiffres pour La Poste"):
        validate_siret("35600000049838")


def test_siret_bad_check_digit():
    with pytest.raises(ValidationFailed, match="sa clé de contrôle est fausse"):
        validate_siret("21500502600013")


def test_siret_with_invalid_siren_part():
    with pytest.raises(ValidationFailed, match="ses 9 premiers chiffres ne forment pas un SIREN valide"):
        validate_siret("21500502700012")


def test_siret_of_another_siren():
    with pytest.raises(ValidationFailed, match="n'appartient pas au SIREN 200066389"):
        validate_siret("21500502600012", siren="200066389")


@pytest.mark.parametrize("text", ["2150050260001", "215005026000120", ""])
def test_siret_wrong_length_or_missing(text):
    with pytest.raises(ValidationFailed, match="exactement 14 chiffres|SIRET manquant"):
        validate_siret(text)


def test_siren_of_siret():
    assert siren_of_siret("21500502600012") == "215005026"


@pytest.mark.parametrize(
    "digits, letter",
    [
        ("0501250", "M"),  # École primaire Les Palliers, Saint-Lô
        ("0501370", "T"),
        ("0502013", "S"),
        ("0500065", "Z"),  # Lycée Le Verrier
        ("0500094", "F"),
    ],
)
def test_uai_check_letter_of_real_schools(digits, letter):
    assert uai_check_letter(digits) == letter
    assert validate_uai(digits + letter) == digits + letter


def test_uai_lower_case_normalised():
    assert validate_uai(" 0501250m ") == "0501250M"


def test_uai_wrong_letter_names_expected_one():
    with pytest.raises(ValidationFailed) as error:
        validate_uai("0501250N")

    assert "sa lettre clé devrait être M" in str(error.value)


@pytest.mark.parametrize("text", ["050125M", "05012500", "A501250M", "0501250MM"])
def test_uai_bad_shape(text):
    with pytest.raises(ValidationFailed, match="7 chiffres suivis d'une lettre clé"):
        validate_uai(text)


def test_uai_letters_skip_i_o_q():
    # The 23 check letters are the alphabet without I, O and Q.
    letters = {uai_check_letter(f"{number:07d}") for number in range(23)}

    assert letters == set("ABCDEFGHJKLMNPRSTUVWXYZ")


@pytest.mark.parametrize("text, expected", [("50502", "50502"), ("2a004", "2A004"), ("2B033", "2B033")])
def test_insee_code_valid(text, expected):
    assert validate_insee_code(text) == expected


@pytest.mark.parametrize("text", ["5050", "505020", "2C004", "ABCDE", ""])
def test_insee_code_invalid(text):
    with pytest.raises(ValidationFailed, match="Code commune Insee"):
        validate_insee_code(text)


@pytest.mark.parametrize(
    "siren, vat_number",
    [
        ("215005026", "FR10215005026"),
        ("255001588", "FR17255001588"),
        ("356000000", "FR39356000000"),
    ],
)
def test_vat_key(siren, vat_number):
    # The key is (12 + 3 x (SIREN mod 97)) mod 97, on two digits.
    key = (12 + 3 * (int(siren) % 97)) % 97

    assert vat_number == f"FR{key:02d}{siren}"
    assert vat_number_for_siren(siren) == vat_number
