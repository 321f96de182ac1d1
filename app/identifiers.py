"""Validation of French identifiers: SIREN, SIRET, UAI, INSEE commune code and VAT number.

Each validator returns the normalised value or raises ValidationFailed with a French message
that names the failed rule.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from .errors import ValidationFailed

UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
LA_POSTE_SIREN = "356000000"


def _compact(value: str | None) -> str:
    return re.sub(r"[\s.\-\u00a0\u202f]", "", value or "")


def validate_siren(value: str | None) -> str:
    """Return the 9-digit SIREN, or raise ValidationFailed naming the failed rule."""
    compact = _compact(value)
    if not compact:
        raise ValidationFailed(_l("SIREN is missing: enter the 9 digits of the SIREN."))
    if not compact.isdigit() or len(compact) != 9:
        raise ValidationFailed(
            _l("SIREN %(value)s is invalid: a SIREN has exactly 9 digits.", value=value)
        )
    if not stdnum_siren.is_valid(compact):
        raise ValidationFailed(
            _l(
                "SIREN %(value)s is invalid: its check digit is wrong (Luhn checksum). "
                "Check each digit against the INSEE SIRENE directory.",
                value=compact,
            )
        )
    return compact


def validate_siret(value: str | None, *, siren: str | None = None) -> str:
    """Return the 14-digit SIRET, or raise ValidationFailed naming the failed rule.

    La Poste's establishments (SIREN 356000000) other than its head office (35600000000048)
    use a digit-sum rule instead of Luhn, which python-stdnum implements. When ``siren`` is
    given, the SIRET must start with it.
    """
    compact = _compact(value)
    if not compact:
        raise ValidationFailed(_l("SIRET is missing: enter the 14 digits of the SIRET."))
    if not compact.isdigit() or len(compact) != 14:
        raise ValidationFailed(
            _l("SIRET %(value)s is invalid: a SIRET has exactly 14 digits.", value=value)
        )
    if not stdnum_siren.is_valid(compact[:9]):
        raise ValidationFailed(
            _l(
                "SIRET %(value)s is invalid: its first 9 digits are not a valid SIREN "
                "(Luhn checksum).",
                value=compact,
            )
        )
    if not stdnum_siret.is_valid(compact):
        raise ValidationFailed(
            _l(
                "SIRET %(value)s is invalid: its check digit is wrong (Luhn checksum, or the "
                "digit-sum rule for La Poste). Check each digit against the INSEE SIRENE directory.",
                value=compact,
            )
        )
    if siren is not None and compact[:9] != siren:
        raise ValidationFailed(
            _l(
                "SIRET %(value)s does not belong to SIREN %(siren)s: a SIRET starts with the "
                "SIREN of its legal entity.",
                value=compact,
                siren=siren,
            )
        )
    return compact


def uai_check_letter(digits: str) -> str:
    """Return the check letter of a UAI's first seven digits."""
    return UAI_LETTERS[int(digits) % 23]


def validate_uai(value: str | None) -> str:
    """Return the UAI in upper case, or raise ValidationFailed naming the failed rule."""
    compact = _compact(value).upper()
    if not compact:
        raise ValidationFailed(_l("UAI is missing: enter the school's 8-character UAI."))
    if len(compact) != 8 or not compact[:7].isdigit() or not compact[7].isalpha():
        raise ValidationFailed(
            _l(
                "UAI %(value)s is invalid: a UAI has 7 digits followed by a check letter, "
                "for example 0501234X.",
                value=value,
            )
        )
    expected = uai_check_letter(compact[:7])
    if compact[7] != expected:
        raise ValidationFailed(
            _l(
                "UAI %(value)s is invalid: its check letter should be %(expected)s.",
                value=compact,
                expected=expected,
            )
        )
    return compact


def validate_insee_code(value: str | None) -> str:
    """Return a 5-character INSEE commune code (2A/2B accepted for Corsica)."""
    compact = _compact(value).upper()
    if not re.fullmatch(r"(\d{2}|2A|2B)\d{3}", compact):
        raise ValidationFailed(
            _l(
                "INSEE commune code %(value)s is invalid: it has 5 characters, for example 50502.",
                value=value,
            )
        )
    return compact


def vat_number_for_siren(siren: str) -> str:
    """Return the French VAT number of a SIREN: FR + key + SIREN, key = (12 + 3 x (SIREN mod 97)) mod 97."""
    return "FR" + stdnum_siren.to_tva(siren)


def siren_of_siret(siret: str) -> str:
    return siret[:9]
