from decimal import Decimal

import pytest

from app.money import (
    TaxableLine,
    compute_totals,
    line_net_amount,
    parse_decimal,
    round_amount,
    round_unit_price,
    to_cents,
    vat_amount,
)


def test_line_net_rounds_half_up():
    assert line_net_amount(Decimal("3"), Decimal("0.0050")) == Decimal("0.02")
    assert line_net_amount(Decimal("1"), Decimal("0.0050")) == Decimal("0.01")
    assert line_net_amount(Decimal("7"), Decimal("1.2345")) == Decimal("8.64")


def test_vat_computed_once_per_rate_not_per_line():
    # Three lines of 0.05 at 10 %: per line the VAT would round to 0.01 each (0.03);
    # on the summed base of 0.15 it is 0.015, rounded half-up to 0.02.
    lines = [TaxableLine(Decimal("0.05"), "S", Decimal("10")) for _ in range(3)]
    totals = compute_totals(lines)
    assert totals.net_amount == Decimal("0.15")
    assert totals.vat_amount == Decimal("0.02")
    assert totals.gross_amount == Decimal("0.17")


def test_mixed_rates_breakdown():
    lines = [
        TaxableLine(Decimal("1234.56"), "S", Decimal("20")),
        TaxableLine(Decimal("99.99"), "S", Decimal("5.5")),
        TaxableLine(Decimal("450.00"), "E", Decimal("0"), "CGI art. 261-4-4° a"),
        TaxableLine(Decimal("10.01"), "S", Decimal("20")),
    ]
    totals = compute_totals(lines)
    rows = [(row.vat_category, row.vat_rate, row.base_amount, row.vat_amount) for row in totals.breakdown]
    assert rows == [
        ("S", Decimal("20.00"), Decimal("1244.57"), Decimal("248.91")),
        ("S", Decimal("5.50"), Decimal("99.99"), Decimal("5.50")),
        ("E", Decimal("0.00"), Decimal("450.00"), Decimal("0.00")),
    ]
    assert totals.breakdown[2].exemption_reason == "CGI art. 261-4-4° a"
    assert totals.net_amount == Decimal("1794.56")
    assert totals.vat_amount == Decimal("254.41")
    assert totals.gross_amount == Decimal("2048.97")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1 234,56", Decimal("1234.56")),
        ("1\u202f234,56", Decimal("1234.56")),
        ("1.234,56", Decimal("1234.56")),
        ("1234.56", Decimal("1234.56")),
        ("12", Decimal("12")),
        ("-3,5", Decimal("-3.5")),
        ("0,0050 €", Decimal("0.0050")),
        ("", None),
    ],
)
def test_parse_decimal_accepts_french_forms(text, expected):
    assert parse_decimal(text) == expected


@pytest.mark.parametrize("text", ["abc", "1,2,3", "12a", "1e5", "--1"])
def test_parse_decimal_rejects_garbage(text):
    with pytest.raises(ValueError):
        parse_decimal(text)


def test_to_cents():
    assert to_cents(Decimal("1234.565")) == 123457


@pytest.mark.parametrize(
    "value, expected",
    [
        ("0.005", "0.01"),
        ("0.015", "0.02"),
        ("0.025", "0.03"),
        ("2.675", "2.68"),  # 2.675 as a float is 2.67499..., Decimal keeps the tie
        ("-0.005", "-0.01"),  # half-up rounds ties away from zero
        ("-2.675", "-2.68"),
        ("0.0049", "0.00"),
        ("1234.5650", "1234.57"),
    ],
)
def test_round_amount_ties_go_up(value, expected):
    assert round_amount(value) == Decimal(expected)


@pytest.mark.parametrize(
    "value, expected",
    [("0.00005", "0.0001"), ("12.34565", "12.3457"), ("0.00004", "0.0000")],
)
def test_round_unit_price_ties_go_up(value, expected):
    assert round_unit_price(value) == Decimal(expected)


def test_line_net_tie_at_half_cent():
    # 3 x 0.8350 = 2.505: a tie, rounded up to 2.51 (banker's rounding would give 2.50).
    assert line_net_amount(3, Decimal("0.8350")) == Decimal("2.51")


def test_vat_tie_on_summed_base():
    # 2.50 at 5.5 % is 0.1375 and 0.75 at 20 % is 0.15; 10.25 at 10 % is 1.025, a tie.
    totals = compute_totals(
        [
            TaxableLine(Decimal("2.50"), "S", Decimal("5.5")),
            TaxableLine(Decimal("10.25"), "S", Decimal("10")),
            TaxableLine(Decimal("0.75"), "S", Decimal("20")),
        ]
    )

    rows = [(row.vat_rate, row.base_amount, row.vat_amount) for row in totals.breakdown]
    assert rows == [
        (Decimal("20.00"), Decimal("0.75"), Decimal("0.15")),
        (Decimal("10.00"), Decimal("10.25"), Decimal("1.03")),
        (Decimal("5.50"), Decimal("2.50"), Decimal("0.14")),
    ]
    assert totals.vat_amount == Decimal("1.32")
    assert totals.gross_amount == Decimal("14.82")


def test_vat_amount_of_tie():
    assert vat_amount(Decimal("0.25"), Decimal("10")) == Decimal("0.03")


def test_totals_of_no_line():
    totals = compute_totals([])

    assert totals.net_amount == Decimal("0.00")
    assert totals.vat_amount == Decimal("0.00")
    assert totals.gross_amount == Decimal("0.00")
    assert totals.breakdown == []
