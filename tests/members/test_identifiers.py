"""Every SIREN, SIRET and UAI rule rejects a bad value with a French message naming the rule."""

from __future__ import annotations

import pytest
from stdnum import luhn

from app.errors import ValidationFailed
from app.identifiers import validate_siren, validate_siret, validate_uai


def rejection(validator, *args, **kwargs) -> str:
    with pytest.raises(ValidationFailed) as caught:
        validator(*args, **kwargs)
    return str(caught.value)


def test_siren_valid_is_normalised():
    assert validate_siren("215 005 026") == "215005026"


def test_siren_missing():
    assert rejection(validate_siren, "") == "SIREN manquant\u00a0: saisissez les 9 chiffres du SIREN."


@pytest.mark.parametrize("value", ["21500502", "2150050261", "21500502A"])
def test_siren_wrong_length(value):
    message = rejection(validate_siren, value)
    assert message.startswith(f"SIREN {value} invalide")
    assert "exactement 9 chiffres" in message


def test_siren_bad_luhn():
    message = rejection(validate_siren, "215005027")
    assert message.startswith("SIREN 215005027 invalide")
    assert "Luhn" in message


def test_siret_valid_of_its_siren():
    assert validate_siret("215 005 026 00012", siren="215005026") == "21500502600012"


def test_siret_wrong_length():
    message = rejection(validate_siret, "2150050260001")
    assert message.startswith("SIRET 2150050260001 invalide")
    assert "exactement 14 chiffres" in message


def test_siret_bad_siren_part():
    message = rejection(validate_siret, "21500502700012")
    assert message.startswith("SIRET 21500502700012 invalide")
    assert "9 premiers chiffres" in message


def test_siret_bad_luhn():
    message = rejection(validate_siret, "21500502600013")
    assert message.startswith("SIRET 21500502600013 invalide")
    assert "Luhn" in message


def test_siret_not_of_this_siren():
    message = rejection(validate_siret, "21140001500015", siren="215005026")
    assert "21140001500015" in message
    assert "n'appartient pas au SIREN 215005026" in message


def test_la_poste_siret_uses_digit_sum_rule():
    # La Poste's establishments fail Luhn; their digit sum is a multiple of 5 instead.
    assert not luhn.is_valid("35600000049837")
    assert validate_siret("35600000049837") == "35600000049837"


def test_la_poste_siret_bad_digit_sum():
    message = rejection(validate_siret, "35600000000049")
    assert message.startswith("SIRET 35600000000049 invalide")
    assert "La Poste" in message


def test_uai_valid_is_upper_cased():
    assert validate_uai("0940176f") == "0940176F"


def test_uai_bad_check_letter():
    message = rejection(validate_uai, "0940176G")
    assert message == "UAI 0940176G invalide\u00a0: sa lettre clé devrait être F."


@pytest.mark.parametrize("value", ["094017F", "09401766", "A940176F"])
def test_uai_bad_format(value):
    message = rejection(validate_uai, value)
    assert message.startswith(f"UAI {value} invalide")
    assert "7 chiffres suivis d'une lettre" in message
