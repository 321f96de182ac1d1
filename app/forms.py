"""Form fields shared by every domain: French decimals and whole numbers with database bounds."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from wtforms import Field
from wtforms.validators import StopValidation
from wtforms.widgets import TextInput

from .money import AMOUNT, COUNT, NumberRule, parse_number


class FrenchDecimalField(Field):
    """A number typed the French way (1 234,56 or 1234.56) and checked against a NumberRule.

    ``rule`` sets the decimals and bounds (app.money: AMOUNT, UNIT_PRICE, QUANTITY, COUNT...);
    ``places``, ``min_value``, ``max_value`` and ``allow_zero`` override it. A value that breaks
    the rule gives one French error naming the field, and the other validators are skipped, so
    the user never sees « not a number » next to « enter 0 or more ».
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, *, rule: NumberRule = AMOUNT, **kwargs):
        overrides = {name: kwargs.pop(name) for name in ("places", "min_value", "max_value", "allow_zero")
                     if name in kwargs}
        self.rule = dataclasses.replace(rule, **overrides)
        inputmode = "numeric" if self.rule.places == 0 and self.rule.min_value >= 0 else "decimal"
        kwargs.setdefault("render_kw", {"inputmode": inputmode, "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        text = f"{Decimal(self.data):f}"
        if "." not in text:
            return text
        whole, decimals = text.split(".")
        decimals = decimals.rstrip("0")
        if self.rule.display != "number":
            decimals = decimals.ljust(2, "0")
        return f"{whole},{decimals}" if decimals else whole

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = None
        self.data = self._convert(parse_number(valuelist[0], self.rule, str(self.label.text)))

    def _convert(self, value: Decimal | None):
        return value

    def pre_validate(self, form):
        if self.process_errors:
            # One message per bad value: the parse error already names the fix.
            raise StopValidation()


class WholeNumberField(FrenchDecimalField):
    """A whole number (a count of pupils, a from-quantity...) that fits an Integer column."""

    def __init__(self, label=None, validators=None, *, rule: NumberRule = COUNT, **kwargs):
        super().__init__(label, validators, rule=rule, **kwargs)

    def _convert(self, value: Decimal | None) -> int | None:
        return None if value is None else int(value)
