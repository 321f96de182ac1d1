"""Bulk import and export of the catalogue as CSV (French Excel conventions) and XLSX.

CSV files use ';', UTF-8 with a byte order mark, a decimal comma and DD/MM/YYYY dates, and a
cell that starts with = + - @ is prefixed with ' so that a spreadsheet does not run it as a
formula. XLSX files carry real numbers and dates. An import is first planned line by line
(created, updated or rejected) and is applied only on request. Exporting then importing the
same file plans no change.
"""

from __future__ import annotations

import csv
import io
import logging
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.errors import ValidationFailed
from app.extensions import db
from app.money import UNIT_PRICE, VAT_RATE, NumberRule, parse_number, round_unit_price

from . import editing, prices
from .models import Category, Contract, Product, ProductStatus, SaleUnit, TierMode
from .pricing import Tier, decimal_text, format_tiers, parse_tiers, tier_errors

logger = logging.getLogger(__name__)

# (key, column header). The headers are the file format, in French for the managers' Excel.
COLUMNS = (
    ("reference", "Référence"),
    ("name", "Nom"),
    ("description", "Description"),
    ("category", "Catégorie"),
    ("unit", "Unité de vente"),
    ("contract_number", "Marché"),
    ("contract_lot", "Lot"),
    ("vat_category", "Catégorie de TVA"),
    ("vat_rate", "Taux de TVA"),
    ("vat_exemption_reason", "Motif d'exonération"),
    ("unit_price", "Prix unitaire HT"),
    ("price_valid_from", "Prix valable depuis"),
    ("is_subscription", "Abonnement"),
    ("tier_mode", "Mode des paliers"),
    ("tiers", "Paliers"),
    ("status", "Statut"),
    ("is_example", "Prix d'exemple"),
)
HEADERS = dict(COLUMNS)
REQUIRED_COLUMNS = ("reference", "name", "category", "unit", "contract_number", "vat_category", "vat_rate", "unit_price")

UNIT_TOKENS = {
    SaleUnit.SCHOOL.value: "école",
    SaleUnit.CLASS.value: "classe",
    SaleUnit.PUPIL.value: "compte élève",
    SaleUnit.ITEM.value: "article",
    SaleUnit.TRAINING_DAY.value: "jour de formation",
}
TIER_MODE_TOKENS = {TierMode.NONE.value: "aucun", TierMode.VOLUME.value: "volume", TierMode.GRADUATED.value: "par tranches"}
STATUS_TOKENS = {ProductStatus.ACTIVE.value: "actif", ProductStatus.ARCHIVED.value: "archivé"}
TRUE_TOKENS, FALSE_TOKENS = {"oui", "o", "vrai", "true", "1", "x", "yes"}, {"non", "n", "faux", "false", "0", "", "no"}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _normalise(text: str) -> str:
    """Lower-case, strip accents and collapse spaces and underscores, to match tokens and headers."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.replace("_", " ").replace("’", "'").lower().split())


def _reverse(tokens: dict[str, str]) -> dict[str, str]:
    mapping = {_normalise(token): value for value, token in tokens.items()}
    mapping.update({_normalise(value): value for value in tokens})
    return mapping


UNIT_VALUES = _reverse(UNIT_TOKENS)
TIER_MODE_VALUES = _reverse(TIER_MODE_TOKENS) | {"progressif": TierMode.GRADUATED.value, "aucune": TierMode.NONE.value}
STATUS_VALUES = _reverse(STATUS_TOKENS) | {"archive": ProductStatus.ARCHIVED.value}
HEADER_KEYS = {_normalise(header): key for key, header in COLUMNS} | {_normalise(key): key for key, _ in COLUMNS}


# Export -------------------------------------------------------------------------------------


def export_rows(day: date) -> list[dict]:
    """Return one dict per product, archived ones included, with typed values (Decimal, date, str).

    The price is the version valid on ``day``; a product without one gets empty price cells.
    """
    products = db.session.scalars(
        select(Product)
        .options(selectinload(Product.prices), selectinload(Product.tiers), selectinload(Product.category),
                 selectinload(Product.contract))
        .order_by(Product.reference)
    )
    rows = []
    for product in products:
        price = product.price_on(day)
        rows.append({
            "reference": product.reference,
            "name": product.name,
            "description": product.description,
            "category": product.category.code,
            "unit": UNIT_TOKENS[product.unit],
            "contract_number": product.contract.number,
            "contract_lot": product.contract.lot,
            "vat_category": product.vat_category,
            "vat_rate": product.vat_rate,
            "vat_exemption_reason": product.vat_exemption_reason,
            "unit_price": price.unit_price if price else None,
            "price_valid_from": price.valid_from if price else None,
            "is_subscription": "oui" if product.is_subscription else "non",
            "tier_mode": TIER_MODE_TOKENS[product.tier_mode],
            "tiers": format_tiers(product.tiers),
            "status": STATUS_TOKENS[product.status],
            "is_example": "oui" if product.is_example else "non",
        })
    return rows


def cell_text(value) -> str:
    """Write a value the way French Excel reads it: 5,5 for a decimal and 04/12/2026 for a date."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return decimal_text(value, min_decimals=0)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def neutralise(text: str) -> str:
    """Prefix a cell that a spreadsheet would run as a formula with an apostrophe."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def export_csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([header for _, header in COLUMNS])
    for row in rows:
        writer.writerow([neutralise(_export_cell_text(key, row[key])) for key, _ in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _export_cell_text(key: str, value) -> str:
    if key == "unit_price" and value is not None:
        return decimal_text(value)
    return cell_text(value)


def export_xlsx(rows: list[dict]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Catalogue"
    sheet.append([header for _, header in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row[key] for key, _ in COLUMNS])
        for cell, (key, _) in zip(sheet[sheet.max_row], COLUMNS):
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # openpyxl would store the text as a formula
            elif key == "unit_price":
                cell.number_format = "#,##0.00##"
            elif key == "vat_rate":
                cell.number_format = "0.0#"
            elif key == "price_valid_from":
                cell.number_format = "DD/MM/YYYY"
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJKLMNOPQ", (22, 50, 60, 14, 18, 18, 6, 10, 10, 40, 14, 14, 11, 14, 40, 10, 12)):
        sheet.column_dimensions[letter].width = width
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


# Reading ------------------------------------------------------------------------------------


@dataclass
class FileLine:
    """One data line of an uploaded file: its line number (the header is line 1) and its cells."""

    line: int
    cells: dict


def _xlsx_cell(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _header_keys(headers: list) -> dict[int, str]:
    """Map column positions to keys, or raise ValidationFailed naming the missing columns."""
    positions = {}
    for index, header in enumerate(headers):
        key = HEADER_KEYS.get(_normalise(header or ""))
        if key and key not in positions.values():
            positions[index] = key
    missing = [HEADERS[key] for key in REQUIRED_COLUMNS if key not in positions.values()]
    if missing:
        raise ValidationFailed(
            _l("The file has no column %(columns)s: its first line must hold the column names of an export, "
               "for example Référence;Nom;Catégorie.", columns=", ".join(f"« {name} »" for name in missing))
        )
    return positions


def read_catalogue_file(data: bytes, filename: str) -> list[FileLine]:
    """Read a CSV or XLSX catalogue file into lines; raises ValidationFailed when it cannot be read."""
    if filename.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    return _read_csv(data)


def _read_csv(data: bytes) -> list[FileLine]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's "CSV (séparateur : point-virgule)" on Windows saves in Windows-1252.
        text = data.decode("cp1252", errors="replace")

    first_line = text.split("\n", 1)[0]
    delimiter = next((candidate for candidate in (";", "\t") if candidate in first_line), None)
    if delimiter is None and "," in first_line:
        # A comma-separated file cannot hold French decimals such as 12,50 unquoted: refuse it
        # rather than read prices split across two columns.
        raise ValidationFailed(
            _l("The file uses the comma as separator: save it as CSV with semicolon separator (Excel) "
               "or import an XLSX file."),
            field="file",
        )

    delimiter = delimiter or ";"

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = list(reader)
    if not rows:
        raise ValidationFailed(_l("The file is empty: export the catalogue to get a file to fill in."))

    positions = _header_keys(rows[0])
    lines = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {}
        for index, key in positions.items():
            value = row[index] if index < len(row) else ""
            if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
                value = value[1:]
            cells[key] = value
        lines.append(FileLine(number, cells))

    return lines


def _read_xlsx(data: bytes) -> list[FileLine]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types on a corrupt file
        logger.info("Rejected an XLSX upload that openpyxl cannot open: %s", error)
        raise ValidationFailed(_l("The XLSX file cannot be opened: save it again from Excel or LibreOffice, or send a CSV file.")) from error
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    workbook.close()
    if not rows:
        raise ValidationFailed(_l("The file is empty: export the catalogue to get a file to fill in."))
    positions = _header_keys([str(cell) if cell is not None else "" for cell in rows[0]])
    lines = []
    for number, row in enumerate(rows[1:], start=2):
        if all(cell is None or str(cell).strip() == "" for cell in row):
            continue
        cells = {key: _xlsx_cell(row[index]) if index < len(row) else None for index, key in positions.items()}
        lines.append(FileLine(number, cells))
    return lines


# Planning -----------------------------------------------------------------------------------


@dataclass
class LinePlan:
    """The planned outcome of one line (create, update, unchanged or reject) with its reasons."""

    line: int
    reference: str
    action: str = "unchanged"
    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    values: editing.ProductValues | None = None
    unit_price: Decimal | None = None
    price_from: date | None = None
    price_changed: bool = False
    tier_mode: str = TierMode.NONE.value
    tiers: list[Tier] = field(default_factory=list)
    tiers_changed: bool = False
    status: str = ProductStatus.ACTIVE.value


@dataclass
class ImportPlan:
    lines: list[LinePlan]

    def with_action(self, action: str) -> list[LinePlan]:
        return [line for line in self.lines if line.action == action]

    @property
    def created(self) -> list[LinePlan]:
        return self.with_action("create")

    @property
    def updated(self) -> list[LinePlan]:
        return self.with_action("update")

    @property
    def unchanged(self) -> list[LinePlan]:
        return self.with_action("unchanged")

    @property
    def rejected(self) -> list[LinePlan]:
        return self.with_action("reject")


class _Lookups:
    """The catalogue rows an import matches its lines against, loaded once per plan."""

    def __init__(self) -> None:
        self.categories = {}
        for category in db.session.scalars(select(Category)):
            self.categories[_normalise(category.code)] = category
            self.categories.setdefault(_normalise(category.name), category)
        self.category_codes = sorted(category.code for category in db.session.scalars(select(Category)))
        self.contracts = {
            (contract.number.strip().lower(), contract.lot.strip().lower()): contract
            for contract in db.session.scalars(select(Contract))
        }
        self.products = {
            product.reference: product
            for product in db.session.scalars(
                select(Product).options(selectinload(Product.prices), selectinload(Product.tiers))
            )
        }


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(int(value))
    return str(value).strip()


def _decimal(value, label: str, errors: list[str], rule: NumberRule) -> Decimal | None:
    """Read a number cell against ``rule``; a bad value adds its French message to ``errors``."""
    try:
        return parse_number(value if isinstance(value, (int, Decimal)) else _text(value), rule, label)
    except ValueError as error:
        errors.append(str(error.args[0]))
        return None


def _day(value, errors: list[str]) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    errors.append(str(_l("Date %(value)s is invalid: write it as DD/MM/YYYY, for example 01/09/2027.", value=text)))
    return None


def _token(value, mapping: dict[str, str], default: str | None, message, errors: list[str]) -> str | None:
    text = _normalise(_text(value))
    if not text and default is not None:
        return default
    if text in mapping:
        return mapping[text]
    errors.append(str(message))
    return default


def _boolean(value, label: str, default: bool, errors: list[str]) -> bool:
    text = _normalise(_text(value))
    if value is None or (text == "" and default is not None):
        return default
    if text in TRUE_TOKENS:
        return True
    if text in FALSE_TOKENS:
        return False
    errors.append(str(_l("%(column)s %(value)s is invalid: write oui or non.", column=label, value=_text(value))))
    return default


def _plan_line(file_line: FileLine, lookups: _Lookups, today: date) -> LinePlan:
    cells = file_line.cells
    reference = _text(cells.get("reference"))
    plan = LinePlan(line=file_line.line, reference=reference)
    errors = plan.errors
    # Fields whose cell was already reported as unreadable, so product_errors does not repeat them.
    reported: set[str] = set()
    existing = lookups.products.get(reference)

    def present(key: str) -> bool:
        return key in cells

    def cell_or_existing(key: str, attribute: str, default: str = "") -> str:
        """Return the line's cell, or the product's current value when the file has no such column."""
        if present(key):
            return _text(cells.get(key))
        return getattr(existing, attribute) if existing else default

    category = existing.category if existing else None
    category_text = _text(cells.get("category"))
    if category_text:
        category = lookups.categories.get(_normalise(category_text))
        if category is None:
            reported.add("category_id")
            errors.append(str(_l("Category %(value)s not found: use one of the codes %(codes)s, or create it first.",
                                 value=category_text, codes=", ".join(lookups.category_codes))))
    contract = existing.contract if existing else None
    number = _text(cells.get("contract_number"))
    if number:
        lot = _text(cells.get("contract_lot")) if present("contract_lot") else ""
        if not present("contract_lot") and existing:
            lot = existing.contract.lot
        contract = lookups.contracts.get((number.lower(), lot.lower()))
        if contract is None:
            reported.add("contract_id")
            errors.append(str(_l("Contract %(number)s lot %(lot)s not found: create it under Contracts first, or "
                                 "correct the number and lot.", number=number, lot=lot or "–")))

    errors_before_unit = len(errors)
    unit = _token(cells.get("unit"), UNIT_VALUES, existing.unit if existing else None,
                  _l("Unit of sale %(value)s is invalid: write école, classe, compte élève, article or jour de formation.",
                     value=_text(cells.get("unit"))), errors)
    if len(errors) > errors_before_unit:
        reported.add("unit")
    vat_category = _text(cells.get("vat_category")).upper() or (existing.vat_category if existing else "")
    errors_before_rate = len(errors)
    vat_rate = _decimal(cells.get("vat_rate"), HEADERS["vat_rate"], errors, VAT_RATE)
    if len(errors) > errors_before_rate:
        reported.add("vat_rate")
    if vat_rate is None and existing:
        vat_rate = existing.vat_rate
    values = editing.ProductValues(
        reference=reference,
        name=cell_or_existing("name", "name"),
        category=category,
        contract=contract,
        unit=unit or "",
        vat_category=vat_category,
        vat_rate=vat_rate,
        description=str(cells.get("description") or "").strip() if present("description") else (existing.description if existing else ""),
        vat_exemption_reason=cell_or_existing("vat_exemption_reason", "vat_exemption_reason"),
        is_subscription=_boolean(cells.get("is_subscription"), HEADERS["is_subscription"],
                                 existing.is_subscription if existing else False, errors),
        is_example=_boolean(cells.get("is_example"), HEADERS["is_example"], existing.is_example if existing else False, errors),
    )
    errors.extend(str(error) for error in editing.product_errors(values, existing) if error.field not in reported)

    errors_before_price = len(errors)
    plan.unit_price = _decimal(cells.get("unit_price"), HEADERS["unit_price"], errors, UNIT_PRICE)
    price_rejected = len(errors) > errors_before_price
    plan.price_from = _day(cells.get("price_valid_from"), errors)
    if plan.unit_price is not None:
        plan.unit_price = round_unit_price(plan.unit_price)
    elif existing is None and not price_rejected:
        errors.append(str(_l("Unit price excluding VAT is missing: a new product needs its price, for example 12,50.")))

    plan.tier_mode = _token(cells.get("tier_mode"), TIER_MODE_VALUES, existing.tier_mode if existing else TierMode.NONE.value,
                            _l("Tier mode %(value)s is invalid: write aucun, volume or par tranches.",
                               value=_text(cells.get("tier_mode"))), errors)
    tier_text = _text(cells.get("tiers")) if present("tiers") else ""
    if not present("tiers") and existing:
        tier_text = format_tiers(existing.tiers)
    try:
        plan.tiers = parse_tiers(tier_text)
    except ValidationFailed as error:
        errors.append(str(error))
    else:
        if plan.tier_mode == TierMode.NONE.value and plan.tiers:
            errors.append(str(_l("Tiers are given but the tier mode is aucun: write volume or par tranches, or "
                                 "empty the Paliers column.")))
        elif plan.tier_mode != TierMode.NONE.value:
            errors.extend(str(error) for error in tier_errors(plan.tiers))
    plan.status = _token(cells.get("status"), STATUS_VALUES, existing.status if existing else ProductStatus.ACTIVE.value,
                         _l("Status %(value)s is invalid: write actif or archivé.", value=_text(cells.get("status"))), errors)
    if errors:
        plan.action = "reject"
        return plan
    plan.values = values
    if existing is None:
        plan.action = "create"
        plan.price_from = plan.price_from or today
        plan.price_changed = True
        plan.tiers_changed = plan.tier_mode != TierMode.NONE.value
        return plan
    _plan_changes(plan, existing, today)
    return plan


def _plan_changes(plan: LinePlan, existing: Product, today: date) -> None:
    """Fill the plan of an existing product with what differs, and reject an impossible price start."""
    before = editing.product_snapshot(existing)
    after = dict(before)
    values = plan.values
    after.update(
        name=values.name, description=values.description, category_id=values.category.id, unit=values.unit,
        vat_category=values.vat_category, vat_rate=values.vat_rate, contract_id=values.contract.id,
        vat_exemption_reason=values.vat_exemption_reason if values.vat_category == "E" else "",
        is_subscription=values.is_subscription, is_example=values.is_example,
    )
    labels = {"category_id": HEADERS["category"], "contract_id": HEADERS["contract_number"]}

    for key in editing.PRODUCT_FIELDS:
        if key in ("tier_mode", "status", "reference"):
            continue
        if before[key] != after[key]:
            old, new = before[key], after[key]
            if key == "category_id":
                old, new = existing.category.code, values.category.code
            elif key == "contract_id":
                old, new = existing.contract.reference, values.contract.reference
            plan.changes.append(_change(labels.get(key) or HEADERS[key], old, new))

    current = existing.price_on(today)
    if plan.unit_price is not None and (current is None or current.unit_price != plan.unit_price):
        start = plan.price_from if plan.price_from and plan.price_from > today else today
        if any(price.valid_from == start for price in existing.prices):
            plan.action = "reject"
            plan.errors.append(str(_l("A price of this product already starts on %(day)s: give a later date in the "
                                      "column Prix valable depuis.", day=start.strftime("%d/%m/%Y"))))
            return
        plan.price_from = start
        plan.price_changed = True
        old_price = decimal_text(current.unit_price) if current else None
        plan.changes.append(_change(HEADERS["unit_price"], old_price, decimal_text(plan.unit_price), since=start))

    new_tiers = format_tiers(plan.tiers) if plan.tier_mode != TierMode.NONE.value else ""
    if plan.tier_mode != existing.tier_mode or new_tiers != format_tiers(existing.tiers):
        plan.tiers_changed = True
        plan.changes.append(_change(HEADERS["tiers"], f"{TIER_MODE_TOKENS[existing.tier_mode]} {format_tiers(existing.tiers)}".strip(),
                                    f"{TIER_MODE_TOKENS[plan.tier_mode]} {new_tiers}".strip()))

    if plan.status != existing.status:
        plan.changes.append(_change(HEADERS["status"], STATUS_TOKENS[existing.status], STATUS_TOKENS[plan.status]))
    plan.action = "update" if plan.changes else "unchanged"


def _change(label: str, old, new, since: date | None = None) -> str:
    old_text, new_text = cell_text(old) or "–", cell_text(new) or "–"
    if since:
        return str(_l("%(column)s: %(old)s → %(new)s from %(day)s", column=label, old=old_text, new=new_text,
                      day=since.strftime("%d/%m/%Y")))
    return str(_l("%(column)s: %(old)s → %(new)s", column=label, old=old_text, new=new_text))


def plan_import(lines: list[FileLine], today: date) -> ImportPlan:
    """Plan every line against the catalogue without writing anything."""
    lookups = _Lookups()
    seen: dict[str, int] = {}
    plans = []
    for file_line in lines:
        reference = _text(file_line.cells.get("reference"))
        if reference and reference in seen:
            plans.append(LinePlan(line=file_line.line, reference=reference, action="reject", errors=[
                str(_l("Reference %(value)s already appears on line %(line)s: keep one line per product.",
                       value=reference, line=seen[reference]))]))
            continue
        seen.setdefault(reference, file_line.line)
        plans.append(_plan_line(file_line, lookups, today))
    return ImportPlan(plans)


def apply_import(plan: ImportPlan, *, today: date, user_id: int | None) -> tuple[int, int]:
    """Write the planned creations and updates (rejected lines are skipped); returns (created, updated)."""
    products = {product.reference: product for product in db.session.scalars(select(Product))}
    for line in plan.created + plan.updated:
        if line.action == "create":
            product = editing.create_product(line.values, user_id=user_id)
            prices.add_first_price(product, line.unit_price, line.price_from, user_id=user_id)
        else:
            product = products[line.reference]
            editing.update_product(product, line.values, user_id=user_id)
            if line.price_changed:
                prices.add_price_version(product, line.unit_price, line.price_from, today=today, user_id=user_id)
        if line.tiers_changed:
            prices.set_tiers(product, line.tier_mode, line.tiers, user_id=user_id)
        editing.set_product_status(product, ProductStatus(line.status), user_id=user_id)
    logger.info("Catalogue import applied by user %s: %s created, %s updated, %s rejected",
                user_id, len(plan.created), len(plan.updated), len(plan.rejected))
    return len(plan.created), len(plan.updated)
