"""Pooled tier maths and tier validation rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.errors import ValidationFailed
from catalog.pricing import (
    Tier,
    amount_for_quantity,
    check_tiers,
    next_tier,
    parse_tiers,
    tier_errors,
    unit_price_for_total,
)

ENT_PUPIL = [Tier(1, Decimal("3.20")), Tier(5000, Decimal("2.80")), Tier(15000, Decimal("2.40"))]


@pytest.mark.parametrize(
    ("total", "expected"),
    [(0, "3.20"), (1, "3.20"), (4999, "3.20"), (5000, "2.80"), (14999, "2.80"), (15000, "2.40"), (40000, "2.40")],
)
def test_volume_price_of_band_reached(total, expected):
    assert unit_price_for_total(ENT_PUPIL, "volume", total) == Decimal(expected)


def test_volume_amount_prices_every_unit_at_band_reached():
    assert amount_for_quantity(ENT_PUPIL, "volume", 6000) == Decimal("16800.00")


def test_graduated_amount_prices_each_band():
    # 4999 x 3.20 + 1001 x 2.80 = 15996.80 + 2802.80
    assert amount_for_quantity(ENT_PUPIL, "graduated", 6000) == Decimal("18799.60")
    # 4999 x 3.20 + 10000 x 2.80 + 1 x 2.40
    assert amount_for_quantity(ENT_PUPIL, "graduated", 15000) == Decimal("43999.20")


def test_graduated_unit_price_is_average():
    assert unit_price_for_total(ENT_PUPIL, "graduated", 6000) == Decimal("3.1333")
    assert unit_price_for_total(ENT_PUPIL, "graduated", 10) == Decimal("3.2000")


def test_amount_rounds_once_to_cent():
    tiers = [Tier(1, Decimal("0.3333")), Tier(3, Decimal("0.1111"))]
    assert amount_for_quantity(tiers, "graduated", 4) == Decimal("0.89")
    assert amount_for_quantity(tiers, "volume", 4) == Decimal("0.44")


def test_next_tier_after_total():
    assert next_tier(ENT_PUPIL, 0).from_quantity == 1
    assert next_tier(ENT_PUPIL, 4200).from_quantity == 5000
    assert next_tier(ENT_PUPIL, 5000).from_quantity == 15000
    assert next_tier(ENT_PUPIL, 15000) is None


def test_valid_bands_have_no_error():
    assert tier_errors(ENT_PUPIL) == []
    assert tier_errors(parse_tiers("1-4999:3,20|5000-14999:2,80|15000+:2,40")) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Paliers mutualisés manquants"),
        ("2:3,20|10:2,80", "Le palier 1 commence à 2"),
        ("1:3,20|10:2,80|10:2,50", "Le palier 3 commence à 10, pas au-delà du début du palier précédent (10)"),
        ("1:3,20|10:2,80|5:2,50", "Le palier 3 commence à 5"),
        ("1-9:3,20|12+:2,80", "Trou entre les paliers 1 et 2 : les quantités de 10 à 11 n'ont pas de prix"),
        ("1-20:3,20|12+:2,80", "Les paliers 1 et 2 se chevauchent"),
        ("1-9:3,20|10-99:2,80", "Le dernier palier se termine à 99"),
        ("1:3,20|10:-0,50", "Le palier 2 a un prix unitaire négatif"),
        ("1-0:3,20|1:2", "Le palier 1 se termine à 0, avant son début 1"),
    ],
)
def test_broken_bands_name_the_rule(text, message):
    errors = [str(error) for error in tier_errors(parse_tiers(text))]
    assert any(message in error for error in errors), errors


def test_check_tiers_raises_on_tiers_field():
    with pytest.raises(ValidationFailed) as raised:
        check_tiers([Tier(5, Decimal("1"))])
    assert raised.value.field == "tiers"


def test_unreadable_band_is_rejected():
    with pytest.raises(ValidationFailed, match="Le palier 1 à 3,20 est invalide"):
        parse_tiers("1 à 3,20")
