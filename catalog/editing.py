"""Catalogue edits by the centrale's managers: categories, suppliers, contracts and products.

Every create and update writes an audit row with the old and new values. Services flush; the
view or CLI command commits. Role checks happen in the views: these functions trust their caller.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.audit import diff_fields, record_audit
from app.auth.models import User
from app.auth.roles import Role
from app.errors import DomainError, ValidationFailed
from app.extensions import db
from app.identifiers import validate_siren, validate_siret, vat_number_for_siren
from app.money import STANDARD_RATES, VAT_CATEGORIES, VAT_STANDARD, VAT_EXEMPT
from app.formatting import format_rate

from .models import Category, Contract, Product, ProductStatus, SaleUnit, SalesMode, Supplier

logger = logging.getLogger(__name__)

CATEGORY_CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def can_edit_catalogue(user: User) -> bool:
    """Return True for the roles that change the catalogue: catalogue managers and administrators."""
    return user.is_authenticated and user.has_role(Role.CATALOG_MANAGER, Role.ADMIN)


def _snapshot(row, fields: tuple[str, ...]) -> dict:
    return {name: getattr(row, name) for name in fields}


def _audit(row, entity_type: str, action: str, before: dict, fields: tuple[str, ...], user_id, label: str):
    changes = diff_fields(before, _snapshot(row, fields))
    record_audit(
        entity_type=entity_type, entity_id=row.id, action=action, changes=changes, user_id=user_id, label=label
    )
    return changes


def _raise_first(errors: list[ValidationFailed]) -> None:
    if errors:
        raise errors[0]


# Categories ---------------------------------------------------------------------------------

CATEGORY_FIELDS = ("code", "name", "position")


def save_category(category: Category | None, *, code: str, name: str, position: int, user_id: int | None) -> Category:
    """Create a category (``category`` None) or update one; codes are lower-case and unique."""
    code = (code or "").strip().lower()
    name = (name or "").strip()
    if not CATEGORY_CODE_PATTERN.match(code):
        raise ValidationFailed(
            _l(
                "Code %(code)s is invalid: use 1 to 40 lower-case letters, digits, - or _, for example "
                "materiel.",
                code=code,
            ),
            field="code",
        )
    if not name:
        raise ValidationFailed(_l("Name is missing: enter the category's name."), field="name")
    clash = db.session.scalar(select(Category).where(Category.code == code))
    if clash is not None and clash is not category:
        raise ValidationFailed(
            _l("Code %(code)s is already used by category %(name)s: choose another code.", code=code, name=clash.name),
            field="code",
        )

    action = "updated" if category else "created"
    before = _snapshot(category, CATEGORY_FIELDS) if category else {}
    if category is None:
        category = Category()
        db.session.add(category)
    category.code, category.name, category.position = code, name, position
    db.session.flush()
    _audit(category, "category", action, before, CATEGORY_FIELDS, user_id, name)
    logger.info("Category %s %s by user %s", category.id, action, user_id)
    return category


# Suppliers ----------------------------------------------------------------------------------

SUPPLIER_FIELDS = (
    "name", "siren", "siret", "vat_number", "address", "contact_name", "contact_email", "contact_phone"
)


@dataclass
class SupplierValues:
    name: str
    siren: str = ""
    siret: str = ""
    vat_number: str = ""
    address: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""


def _checked_supplier_values(values: SupplierValues, supplier: Supplier | None) -> dict:
    """Return the normalised columns of a supplier, or raise ValidationFailed on the first bad field."""
    name = values.name.strip()
    if not name:
        raise ValidationFailed(_l("Name is missing: enter the supplier's company name."), field="name")
    siren = None
    if values.siren.strip():
        try:
            siren = validate_siren(values.siren)
        except ValidationFailed as error:
            raise ValidationFailed(error.message, field="siren") from error
        clash = db.session.scalar(select(Supplier).where(Supplier.siren == siren))
        if clash is not None and clash is not supplier:
            raise ValidationFailed(
                _l("SIREN %(siren)s is already the supplier %(name)s: edit that supplier instead.",
                   siren=siren, name=clash.name),
                field="siren",
            )
    siret = None
    if values.siret.strip():
        try:
            siret = validate_siret(values.siret, siren=siren)
        except ValidationFailed as error:
            raise ValidationFailed(error.message, field="siret") from error
    vat_number = re.sub(r"\s", "", values.vat_number).upper()
    if vat_number and siren and vat_number.startswith("FR") and vat_number != vat_number_for_siren(siren):
        raise ValidationFailed(
            _l(
                "VAT number %(value)s does not match SIREN %(siren)s: the French VAT number of this "
                "SIREN is %(expected)s.",
                value=vat_number,
                siren=siren,
                expected=vat_number_for_siren(siren),
            ),
            field="vat_number",
        )
    return {
        "name": name,
        "siren": siren,
        "siret": siret,
        "vat_number": vat_number,
        "address": values.address.strip(),
        "contact_name": values.contact_name.strip(),
        "contact_email": values.contact_email.strip(),
        "contact_phone": values.contact_phone.strip(),
    }


def save_supplier(supplier: Supplier | None, values: SupplierValues, *, user_id: int | None) -> Supplier:
    """Create or update a supplier after checking its SIREN, SIRET and VAT number."""
    columns = _checked_supplier_values(values, supplier)
    action = "updated" if supplier else "created"
    before = _snapshot(supplier, SUPPLIER_FIELDS) if supplier else {}
    if supplier is None:
        supplier = Supplier()
        db.session.add(supplier)
    for name, value in columns.items():
        setattr(supplier, name, value)
    db.session.flush()
    _audit(supplier, "supplier", action, before, SUPPLIER_FIELDS, user_id, supplier.name)
    logger.info("Supplier %s %s by user %s", supplier.id, action, user_id)
    return supplier


# Contracts ----------------------------------------------------------------------------------

CONTRACT_FIELDS = ("number", "lot", "title", "supplier_id", "start_date", "end_date", "sales_mode")


@dataclass
class ContractValues:
    number: str
    lot: str
    title: str
    supplier: Supplier | None
    start_date: date | None
    end_date: date | None
    sales_mode: str


def save_contract(contract: Contract | None, values: ContractValues, *, user_id: int | None) -> Contract:
    """Create or update a contract (marché, lot); number and lot together are unique."""
    number, lot = values.number.strip(), values.lot.strip()
    if not number:
        raise ValidationFailed(_l("Contract number is missing: enter the marché number, for example 2024-MN-ENT-01."), field="number")
    if values.supplier is None:
        raise ValidationFailed(_l("Supplier is missing: choose the contract holder."), field="supplier_id")
    if values.start_date is None:
        raise ValidationFailed(_l("Start date is missing: enter it as DD/MM/YYYY."), field="start_date")
    if values.end_date is None:
        raise ValidationFailed(_l("End date is missing: enter it as DD/MM/YYYY."), field="end_date")
    if values.end_date < values.start_date:
        raise ValidationFailed(
            _l("End date %(end)s is before the start date %(start)s: enter an end date on or after the start.",
               end=values.end_date.strftime("%d/%m/%Y"), start=values.start_date.strftime("%d/%m/%Y")),
            field="end_date",
        )
    if values.sales_mode not in {mode.value for mode in SalesMode}:
        raise ValidationFailed(_l("Sales mode is invalid: choose resale or intermediation."), field="sales_mode")
    clash = db.session.scalar(select(Contract).where(Contract.number == number, Contract.lot == lot))
    if clash is not None and clash is not contract:
        raise ValidationFailed(
            _l("Contract %(reference)s already exists: edit it, or change the number or the lot.",
               reference=clash.reference),
            field="number",
        )

    action = "updated" if contract else "created"
    before = _snapshot(contract, CONTRACT_FIELDS) if contract else {}
    if contract is None:
        contract = Contract()
        db.session.add(contract)
    contract.number, contract.lot, contract.title = number, lot, values.title.strip()
    contract.supplier = values.supplier
    contract.start_date, contract.end_date = values.start_date, values.end_date
    contract.sales_mode = values.sales_mode
    db.session.flush()
    _audit(contract, "contract", action, before, CONTRACT_FIELDS, user_id, contract.reference)
    logger.info("Contract %s %s by user %s", contract.id, action, user_id)
    return contract


def contracts_ending_within(today: date, days: int = 60) -> list[Contract]:
    """Return the contracts that end between today and ``days`` days later, soonest first."""
    return list(
        db.session.scalars(
            select(Contract)
            .where(Contract.end_date >= today, Contract.end_date <= today + timedelta(days=days))
            .order_by(Contract.end_date, Contract.number)
        )
    )


# Products -----------------------------------------------------------------------------------

PRODUCT_FIELDS = (
    "reference", "name", "description", "category_id", "unit", "vat_category", "vat_rate",
    "vat_exemption_reason", "contract_id", "is_subscription", "tier_mode", "status", "is_example",
)


@dataclass
class ProductValues:
    """A product's own columns as entered in a form or an import line, before checks."""

    reference: str
    name: str
    category: Category | None
    contract: Contract | None
    unit: str
    vat_category: str
    vat_rate: Decimal | None
    description: str = ""
    vat_exemption_reason: str = ""
    is_subscription: bool = False
    is_example: bool = False


def product_errors(values: ProductValues, product: Product | None) -> list[ValidationFailed]:
    """Return one error per broken product rule, each naming its field and the fix."""
    errors = []
    reference = values.reference.strip()
    if not reference:
        errors.append(ValidationFailed(_l("Reference is missing: enter the product's reference."), field="reference"))
    elif len(reference) > 40:
        errors.append(ValidationFailed(_l("Reference %(value)s is too long: use at most 40 characters.", value=reference), field="reference"))
    else:
        clash = db.session.scalar(select(Product).where(Product.reference == reference))
        if clash is not None and clash is not product:
            errors.append(
                ValidationFailed(
                    _l("Reference %(value)s is already used by %(name)s: choose another reference.",
                       value=reference, name=clash.name),
                    field="reference",
                )
            )
    if not values.name.strip():
        errors.append(ValidationFailed(_l("Name is missing: enter the product's name."), field="name"))
    if values.category is None:
        errors.append(ValidationFailed(_l("Category is missing: choose one of the catalogue's categories."), field="category_id"))
    if values.contract is None:
        errors.append(ValidationFailed(_l("Contract is missing: choose the marché the product is sold under."), field="contract_id"))
    if values.unit not in {unit.value for unit in SaleUnit}:
        errors.append(ValidationFailed(_l("Unit of sale is invalid: choose school, class, pupil account, item or training day."), field="unit"))
    errors.extend(vat_errors(values.vat_category, values.vat_rate, values.vat_exemption_reason))
    return errors


def vat_errors(vat_category: str, vat_rate: Decimal | None, exemption_reason: str) -> list[ValidationFailed]:
    """Check the VAT category, rate and exemption reason together, as EN 16931 codes them."""
    if vat_category not in VAT_CATEGORIES:
        return [ValidationFailed(
            _l("VAT category %(value)s is invalid: use S (standard), E (exempt), Z (zero rate) or O (outside the scope).",
               value=vat_category),
            field="vat_category",
        )]
    if vat_rate is None:
        return [ValidationFailed(_l("VAT rate is missing: enter 20, 10, 5,5 or 2,1, or 0 when exempt."), field="vat_rate")]
    errors = []
    if vat_category == VAT_STANDARD and vat_rate not in STANDARD_RATES:
        errors.append(ValidationFailed(
            _l("VAT rate %(rate)s is invalid for the standard category: French rates are 20 %%, 10 %%, 5,5 %% and 2,1 %%.",
               rate=format_rate(vat_rate)),
            field="vat_rate",
        ))
    if vat_category != VAT_STANDARD and vat_rate != 0:
        errors.append(ValidationFailed(
            _l("VAT rate %(rate)s is invalid for category %(category)s: an exempt, zero-rated or out-of-scope product has a rate of 0.",
               rate=format_rate(vat_rate), category=vat_category),
            field="vat_rate",
        ))
    if vat_category == VAT_EXEMPT and not exemption_reason.strip():
        errors.append(ValidationFailed(
            _l("Exemption reason is missing: an exempt product needs its legal reason, for example "
               "« Exonération de TVA, article 261-4-4° a du CGI »."),
            field="vat_exemption_reason",
        ))
    return errors


def _apply_product_values(product: Product, values: ProductValues) -> None:
    product.reference = values.reference.strip()
    product.name = values.name.strip()
    product.description = values.description.strip()
    product.category = values.category
    product.contract = values.contract
    product.unit = values.unit
    product.vat_category = values.vat_category
    product.vat_rate = Decimal(values.vat_rate).quantize(Decimal("0.01"))
    product.vat_exemption_reason = values.vat_exemption_reason.strip() if values.vat_category == VAT_EXEMPT else ""
    product.is_subscription = values.is_subscription
    product.is_example = values.is_example


def product_snapshot(product: Product) -> dict:
    return _snapshot(product, PRODUCT_FIELDS)


def create_product(values: ProductValues, *, user_id: int | None) -> Product:
    """Create an active product without a price; add one with prices.add_price_version."""
    _raise_first(product_errors(values, None))
    product = Product(status=ProductStatus.ACTIVE.value)
    _apply_product_values(product, values)
    db.session.add(product)
    db.session.flush()
    _audit(product, "product", "created", {}, PRODUCT_FIELDS, user_id, product.reference)
    logger.info("Product %s (%s) created by user %s", product.id, product.reference, user_id)
    return product


def update_product(product: Product, values: ProductValues, *, user_id: int | None) -> dict:
    """Update a product's own columns; returns the audit changes, {} when nothing changed."""
    _raise_first(product_errors(values, product))
    before = product_snapshot(product)
    _apply_product_values(product, values)
    db.session.flush()
    changes = _audit(product, "product", "updated", before, PRODUCT_FIELDS, user_id, product.reference)
    if changes:
        logger.info("Product %s updated by user %s: %s", product.id, user_id, ", ".join(changes))
    return changes


def set_product_image(product: Product, data: bytes | None, mime: str, *, user_id: int | None) -> None:
    """Store an image already re-encoded by images.reencode_image, or remove it with ``data`` None."""
    old = f"{product.image_mime} {len(product.image_data)} octets" if product.image_data else None
    product.image_data = data
    product.image_mime = mime if data else ""
    new = f"{mime} {len(data)} octets" if data else None
    db.session.flush()
    record_audit(entity_type="product", entity_id=product.id, action="updated",
                 changes=diff_fields({"image": old}, {"image": new}), user_id=user_id, label=product.reference)


CATALOGUE_TABLES = frozenset({"products", "product_prices", "price_tiers"})


def order_line_count(product: Product) -> int:
    """Count the order lines that reference the product, read from the orders domain's table.

    catalog may not import orders, so the table comes from the shared metadata. Without it
    (orders not installed) no product was ever ordered.
    """
    table = db.metadata.tables.get("order_lines")
    if table is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(table).where(table.c.product_id == product.id))


def referencing_tables(product: Product) -> list[str]:
    """Return the names of the tables outside the catalogue that hold rows pointing at the product.

    Order lines are the main case, and campaign lines are another.
    """
    names = []
    for table in db.metadata.sorted_tables:
        if table.name in CATALOGUE_TABLES:
            continue
        for foreign_key in table.foreign_keys:
            if foreign_key.column.table.name != "products":
                continue
            column = foreign_key.parent
            count = db.session.scalar(select(func.count()).select_from(table).where(column == product.id))
            if count:
                names.append(table.name)
    return names


def set_product_status(product: Product, status: ProductStatus, *, user_id: int | None) -> None:
    """Archive a product (members no longer see it, orders keep it) or make it active again."""
    if product.status == status.value:
        return
    before = product_snapshot(product)
    product.status = status.value
    db.session.flush()
    action = "archived" if status == ProductStatus.ARCHIVED else "updated"
    _audit(product, "product", action, before, PRODUCT_FIELDS, user_id, product.reference)
    logger.info("Product %s set to %s by user %s", product.id, status.value, user_id)


def delete_product(product: Product, *, user_id: int | None) -> None:
    """Delete a product that was never ordered; an ordered product must be archived instead."""
    lines = order_line_count(product)
    if lines:
        raise DomainError(
            _l("%(name)s appears in %(count)s order lines, so it cannot be deleted: archive it instead.",
               name=product.name, count=lines)
        )
    tables = referencing_tables(product)
    if tables:
        raise DomainError(
            _l("%(name)s is used by other records (%(tables)s), so it cannot be deleted: archive it instead.",
               name=product.name, tables=", ".join(tables))
        )
    record_audit(entity_type="product", entity_id=product.id, action="deleted",
                 changes=diff_fields(product_snapshot(product), {}), user_id=user_id, label=product.reference)
    db.session.delete(product)
    db.session.flush()
    logger.info("Product %s (%s) deleted by user %s", product.id, product.reference, user_id)
