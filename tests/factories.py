"""Factories for test data: members, schools, users, catalogue items and orders."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from app.auth.models import User
from app.auth.roles import Role
from app.auth.services import create_user
from app.extensions import db
from app.identifiers import uai_check_letter
from catalog.models import Category, Contract, PriceTier, Product, ProductPrice, Supplier
from members.models import Member, School

_counter = itertools.count(1)


def luhn_complete(prefix: str) -> str:
    """Append the Luhn check digit that makes ``prefix`` + digit valid."""
    for digit in "0123456789":
        candidate = prefix + digit
        total = 0
        for index, char in enumerate(reversed(candidate)):
            value = int(char)
            if index % 2 == 1:
                value *= 2
                if value > 9:
                    value -= 9
            total += value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def fresh_siren() -> str:
    return luhn_complete(f"21{next(_counter) % 1_000_000:06d}")


def fresh_uai(department: str = "050") -> str:
    digits = f"{department}{next(_counter) % 10000:04d}"
    return digits + uai_check_letter(digits)


class Factories:
    """Create persisted objects with sensible defaults; every keyword overrides one field."""

    def __init__(self, password: str) -> None:
        self.password = password

    def member(self, **fields) -> Member:
        values = {"name": f"Commune test {next(_counter)}", "kind": "commune", "siren": fresh_siren()}
        values.update(fields)
        member = Member(**values)
        db.session.add(member)
        db.session.flush()
        return member

    def school(self, member: Member | None = None, **fields) -> School:
        member = member or self.member()
        values = {
            "uai": fresh_uai(),
            "name": f"École test {next(_counter)}",
            "kind": "primaire",
            "sector": "public",
            "postcode": "50000",
            "commune_insee": "50502",
            "commune_name": "Saint-Lô",
            "pupils": 120,
            "classes": 5,
            "counts_school_year": 2025,
            "member": member,
        }
        values.update(fields)
        school = School(**values)
        db.session.add(school)
        db.session.flush()
        return school

    def user(self, role: Role | str = Role.BUYER, member: Member | None = None, **fields) -> User:
        role = Role(role)
        if role.is_member_side and member is None:
            member = self.member()
        return create_user(
            email=fields.pop("email", f"user{next(_counter)}@test.centrale.test"),
            password=fields.pop("password", self.password),
            role=role,
            member=member if role.is_member_side else None,
            full_name=fields.pop("full_name", ""),
        )

    def category(self, **fields) -> Category:
        number = next(_counter)
        values = {"code": f"cat{number}", "name": f"Catégorie {number}", "position": number}
        values.update(fields)
        category = Category(**values)
        db.session.add(category)
        db.session.flush()
        return category

    def contract(self, **fields) -> Contract:
        supplier = fields.pop("supplier", None)
        if supplier is None:
            supplier = Supplier(name=f"Fournisseur {next(_counter)}")
            db.session.add(supplier)
        values = {
            "number": f"2025-MN-{next(_counter):03d}",
            "lot": "1",
            "title": "Marché test",
            "supplier": supplier,
            "start_date": date(2025, 1, 1),
            "end_date": date(2029, 12, 31),
            "sales_mode": "resale",
        }
        values.update(fields)
        contract = Contract(**values)
        db.session.add(contract)
        db.session.flush()
        return contract

    def product(self, unit_price: Decimal | str = "10.00", tiers=None, **fields) -> Product:
        values = {
            "reference": f"REF-{next(_counter):05d}",
            "name": f"Produit test {next(_counter)}",
            "unit": "item",
            "vat_category": "S",
            "vat_rate": Decimal("20.00"),
        }
        values.update(fields)
        if "category" not in values:
            values["category"] = self.category()
        if "contract" not in values:
            values["contract"] = self.contract()
        product = Product(**values)
        product.prices.append(ProductPrice(unit_price=Decimal(unit_price), valid_from=date(2020, 1, 1)))
        for from_quantity, price in tiers or []:
            product.tiers.append(PriceTier(from_quantity=from_quantity, unit_price=Decimal(price)))
        db.session.add(product)
        db.session.flush()
        return product
