"""French formatting of amounts, numbers, rates and dates, as Babel's CLDR data for fr gives it."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from app.formatting import (
    format_day,
    format_money,
    format_number,
    format_rate,
    format_timestamp,
    format_unit_price,
)

NARROW_NBSP = "\u202f"  # CLDR's group separator for fr
NBSP = "\u00a0"  # before the euro and percent signs


@pytest.mark.parametrize(
    "amount, expected",
    [
        (Decimal("1234.56"), f"1{NARROW_NBSP}234,56{NBSP}€"),
        (Decimal("1234567.8"), f"1{NARROW_NBSP}234{NARROW_NBSP}567,80{NBSP}€"),
        (Decimal("0"), f"0,00{NBSP}€"),
        (Decimal("-12.5"), f"-12,50{NBSP}€"),
        (12, f"12,00{NBSP}€"),
    ],
)
def test_money(amount, expected):
    assert format_money(amount, "fr") == expected


def test_money_none_is_empty():
    assert format_money(None, "fr") == ""


def test_money_english_locale():
    assert format_money(Decimal("1234.56"), "en") == "€1,234.56"


@pytest.mark.parametrize(
    "price, expected",
    [
        (Decimal("12.5"), f"12,50{NBSP}€"),
        (Decimal("0.1234"), f"0,1234{NBSP}€"),
        (Decimal("1500.125"), f"1{NARROW_NBSP}500,125{NBSP}€"),
    ],
)
def test_unit_price_keeps_up_to_four_decimals(price, expected):
    assert format_unit_price(price, "fr") == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        (Decimal("1234"), f"1{NARROW_NBSP}234"),
        (Decimal("2.500"), "2,5"),
        (Decimal("3.000"), "3"),
        (7, "7"),
    ],
)
def test_number(value, expected):
    assert format_number(value, "fr") == expected


@pytest.mark.parametrize(
    "rate, expected",
    [(Decimal("5.50"), f"5,5{NBSP}%"), (Decimal("20.00"), f"20{NBSP}%"), (Decimal("2.10"), f"2,1{NBSP}%")],
)
def test_rate(rate, expected):
    assert format_rate(rate, "fr") == expected


def test_day_of_date():
    assert format_day(date(2026, 12, 4)) == "04/12/2026"


def test_day_of_datetime_in_paris():
    # 23:30 UTC on 31 December is already 1 January in Paris (UTC+1 in winter).
    assert format_day(datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)) == "01/01/2027"


def test_timestamp_in_paris_summer_time():
    # Paris is UTC+2 in summer.
    assert format_timestamp(datetime(2026, 7, 14, 12, 5, tzinfo=timezone.utc)) == "14/07/2026 14:05"


def test_filters_in_templates(app):
    with app.test_request_context("/"):
        template = app.jinja_env.from_string(
            "{{ amount|money }} | {{ rate|rate }} | {{ day|day }} | {{ count|number }}"
        )

        rendered = template.render(
            amount=Decimal("1234.56"), rate=Decimal("5.5"), day=date(2026, 12, 4), count=Decimal("1500")
        )

    assert rendered == f"1{NARROW_NBSP}234,56{NBSP}€ | 5,5{NBSP}% | 04/12/2026 | 1{NARROW_NBSP}500"
