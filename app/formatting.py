"""French formatting of money, numbers and dates, as Jinja filters and plain functions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, localcontext

from babel.numbers import format_currency, format_decimal
from flask import Flask
from flask_babel import get_locale

from .timeutils import PARIS


def _locale() -> str:
    try:
        return str(get_locale() or "fr")
    except (RuntimeError, AttributeError):
        return "fr"


def format_money(amount: Decimal | int | None, locale: str | None = None) -> str:
    """Format euros the French way: 1 234,56 €."""
    if amount is None:
        return ""
    return format_currency(Decimal(amount), "EUR", locale=locale or _locale())


def format_unit_price(amount: Decimal | None, locale: str | None = None) -> str:
    """Format a unit price with 2 to 4 decimals: 12,50 € or 0,1234 €."""
    if amount is None:
        return ""
    return format_currency(
        Decimal(amount), "EUR", format="#,##0.00##\u00a0¤", locale=locale or _locale(), currency_digits=False
    )


def format_number(value: Decimal | int | None, locale: str | None = None) -> str:
    """Format a quantity or count: 1 234 or 2,5."""
    if value is None:
        return ""
    value = Decimal(value)
    if value == value.to_integral_value():
        value = value.to_integral_value()
    return format_decimal(value, format="#,##0.###", locale=locale or _locale())


def format_exact(value: Decimal, locale: str | None = None) -> str:
    """Format a number with all its decimals, unrounded: 1 234,56789 (for error messages)."""
    value = Decimal(value)
    with localcontext() as context:
        # Babel quantizes in the current context: give it room for every digit typed.
        context.prec = max(context.prec, len(value.as_tuple().digits) + 40)
        return format_decimal(value, locale=locale or _locale(), decimal_quantization=False)


def format_rate(value: Decimal | None, locale: str | None = None) -> str:
    """Format a VAT rate: 20 %, 5,5 %."""
    if value is None:
        return ""
    return format_decimal(Decimal(value), format="0.##", locale=locale or _locale()) + "\u00a0%"


def format_day(value: date | datetime | None) -> str:
    """Format a date as 04/12/2026 (datetimes are shown in Europe/Paris)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS)
    return value.strftime("%d/%m/%Y")


def format_timestamp(value: datetime | None) -> str:
    """Format a datetime as 04/12/2026 14:05 in Europe/Paris."""
    if value is None:
        return ""
    return value.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(
        money=format_money,
        unit_price=format_unit_price,
        number=format_number,
        rate=format_rate,
        day=format_day,
        timestamp=format_timestamp,
    )
