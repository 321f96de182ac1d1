"""The managers' catalogue routes: editing, prices, tiers, import and export, audit trail.

Every route here is limited to catalogue managers and administrators; others get 403 and
nothing changes. The routes are registered on the catalogue blueprint of views.py.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from datetime import datetime, time as day_time
from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.audit import AuditEvent
from app.auth.models import User
from app.auth.roles import Role, roles_required
from app.errors import DomainError, ValidationFailed
from app.extensions import db
from app.timeutils import PARIS, today_paris

from . import editing, images, prices, services, transfer
from .audit_labels import audit_field_label, audit_value_text
from .forms import CategoryForm, ContractForm, ImportForm, NewProductForm, PriceForm, ProductForm, SupplierForm, TiersForm
from .models import Category, Contract, Product, ProductStatus, Supplier, TierMode
from .pricing import Tier
from .views import bp

logger = logging.getLogger(__name__)

manager_required = roles_required(Role.CATALOG_MANAGER, Role.ADMIN)

ENDING_SOON_DAYS = 60
AUDIT_EVENTS_PER_PAGE = 50
PENDING_IMPORT_LIFETIME_SECONDS = 24 * 3600
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")

AUDIT_ENTITY_LABELS = {
    "product": _l("Product"),
    "product_price": _l("Price"),
    "price_tiers": _l("Pooled tiers"),
    "contract": _l("Contract"),
    "supplier": _l("Supplier"),
    "category": _l("Category"),
}
AUDIT_ACTION_LABELS = {
    "created": _l("created"),
    "updated": _l("changed"),
    "archived": _l("archived"),
    "deleted": _l("deleted"),
}


def _user_id() -> int:
    return current_user.id


def _attach_error(form, error: DomainError) -> None:
    """Show a domain error on its form field, or as a flashed message when no field matches."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(error)]
    else:
        flash(str(error), "error")


def _get_or_404(model, object_id: int):
    row = db.session.get(model, object_id)
    if row is None:
        abort(404)
    return row


# Categories ---------------------------------------------------------------------------------


@bp.route("/manage/categories", methods=["GET", "POST"])
@manager_required
def manage_categories():
    """List the categories and create one."""
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            editing.save_category(None, code=form.code.data, name=form.name.data, position=form.position.data or 0,
                                  user_id=_user_id())
        except ValidationFailed as error:
            db.session.rollback()
            _attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Category %(name)s created.", name=form.name.data), "success")
            return redirect(url_for("catalog.manage_categories"))
    return render_template("catalog/manage/categories.html", form=form, categories=services.categories())


@bp.route("/manage/categories/<int:category_id>", methods=["GET", "POST"])
@manager_required
def edit_category(category_id: int):
    category = _get_or_404(Category, category_id)
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        try:
            editing.save_category(category, code=form.code.data, name=form.name.data, position=form.position.data or 0,
                                  user_id=_user_id())
        except ValidationFailed as error:
            db.session.rollback()
            _attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Category %(name)s saved.", name=category.name), "success")
            return redirect(url_for("catalog.manage_categories"))
    return render_template("catalog/manage/form.html", form=form, title=_("Edit category %(name)s", name=category.name),
                           back_url=url_for("catalog.manage_categories"))


# Suppliers ----------------------------------------------------------------------------------


@bp.route("/manage/suppliers")
@manager_required
def list_suppliers():
    return render_template("catalog/manage/suppliers.html", suppliers=services.suppliers())


def _supplier_values(form: SupplierForm) -> editing.SupplierValues:
    return editing.SupplierValues(**{name: (getattr(form, name).data or "") for name in editing.SUPPLIER_FIELDS})


@bp.route("/manage/suppliers/new", methods=["GET", "POST"])
@bp.route("/manage/suppliers/<int:supplier_id>", methods=["GET", "POST"])
@manager_required
def edit_supplier(supplier_id: int | None = None):
    """Create or edit a supplier; SIREN, SIRET and VAT number are checked."""
    supplier = _get_or_404(Supplier, supplier_id) if supplier_id else None
    form = SupplierForm(obj=supplier)
    if form.validate_on_submit():
        try:
            supplier = editing.save_supplier(supplier, _supplier_values(form), user_id=_user_id())
        except ValidationFailed as error:
            db.session.rollback()
            _attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Supplier %(name)s saved.", name=supplier.name), "success")
            return redirect(url_for("catalog.list_suppliers"))
    title = _("Edit supplier %(name)s", name=supplier.name) if supplier else _("New supplier")
    return render_template("catalog/manage/form.html", form=form, title=title,
                           back_url=url_for("catalog.list_suppliers"))


# Contracts ----------------------------------------------------------------------------------


@bp.route("/manage/contracts")
@manager_required
def list_contracts():
    """List every contract, with those ending within 60 days first."""
    today = today_paris()
    contracts = list(db.session.scalars(select(Contract).order_by(Contract.end_date.desc(), Contract.number)))
    return render_template(
        "catalog/manage/contracts.html",
        contracts=contracts,
        ending=editing.contracts_ending_within(today, ENDING_SOON_DAYS),
        days=ENDING_SOON_DAYS,
        today=today,
    )


@bp.route("/manage/contracts/new", methods=["GET", "POST"])
@bp.route("/manage/contracts/<int:contract_id>", methods=["GET", "POST"])
@manager_required
def edit_contract(contract_id: int | None = None):
    contract = _get_or_404(Contract, contract_id) if contract_id else None
    form = ContractForm(obj=contract)
    form.supplier_id.choices = [(supplier.id, supplier.name) for supplier in services.suppliers()]
    if form.validate_on_submit():
        values = editing.ContractValues(
            number=form.number.data or "", lot=form.lot.data or "", title=form.title.data or "",
            supplier=db.session.get(Supplier, form.supplier_id.data) if form.supplier_id.data else None,
            start_date=form.start_date.data, end_date=form.end_date.data, sales_mode=form.sales_mode.data,
        )
        try:
            contract = editing.save_contract(contract, values, user_id=_user_id())
        except ValidationFailed as error:
            db.session.rollback()
            _attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Contract %(reference)s saved.", reference=contract.reference), "success")
            return redirect(url_for("catalog.list_contracts"))
    title = _("Edit contract %(reference)s", reference=contract.reference) if contract else _("New contract")
    return render_template("catalog/manage/form.html", form=form, title=title, back_url=url_for("catalog.list_contracts"))


# Products -----------------------------------------------------------------------------------


def _product_choices(form: ProductForm) -> None:
    form.category_id.choices = [(category.id, category.name) for category in services.categories()]
    form.contract_id.choices = [
        (contract.id, f"{contract.reference} – {contract.supplier.name}")
        for contract in db.session.scalars(select(Contract).order_by(Contract.number, Contract.lot))
    ]


def _product_values(form: ProductForm) -> editing.ProductValues:
    return editing.ProductValues(
        reference=form.reference.data or "",
        name=form.name.data or "",
        category=db.session.get(Category, form.category_id.data) if form.category_id.data else None,
        contract=db.session.get(Contract, form.contract_id.data) if form.contract_id.data else None,
        unit=form.unit.data,
        vat_category=form.vat_category.data,
        vat_rate=form.vat_rate.data,
        description=form.description.data or "",
        vat_exemption_reason=form.vat_exemption_reason.data or "",
        is_subscription=form.is_subscription.data,
        is_example=form.is_example.data,
    )


def _uploaded_image(form: ProductForm) -> tuple[bytes, str] | None:
    """Return the re-encoded upload, None without one; raises ValidationFailed on a bad file."""
    upload = form.image.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    return images.reencode_image(upload.read(images.MAX_IMAGE_BYTES + 1))


@bp.route("/manage/products/new", methods=["GET", "POST"])
@manager_required
def new_product():
    """Create a product with its first price; tiers are set on the next page when needed."""
    form = NewProductForm()
    _product_choices(form)
    if request.method == "GET":
        form.price_valid_from.data = today_paris()
    if form.validate_on_submit():
        values = _product_values(form)
        errors = editing.product_errors(values, None)
        for error in errors:
            _attach_error(form, error)
        if not errors:
            try:
                image = _uploaded_image(form)
                product = editing.create_product(values, user_id=_user_id())
                prices.add_first_price(product, form.unit_price.data, form.price_valid_from.data, user_id=_user_id())
                if image:
                    editing.set_product_image(product, *image, user_id=_user_id())
            except ValidationFailed as error:
                db.session.rollback()
                _attach_error(form, error)
            else:
                db.session.commit()
                flash(_("Product %(reference)s created.", reference=product.reference), "success")
                return redirect(url_for("catalog.product_detail", product_id=product.id))
    return render_template("catalog/manage/product_form.html", form=form, product=None,
                           title=_("New product"))


@bp.route("/manage/products/<int:product_id>/edit", methods=["GET", "POST"])
@manager_required
def edit_product(product_id: int):
    """Edit a product's own fields and image; its prices and tiers have their own pages."""
    product = _get_or_404(Product, product_id)
    form = ProductForm(obj=product)
    _product_choices(form)
    if form.validate_on_submit():
        values = _product_values(form)
        errors = editing.product_errors(values, product)
        for error in errors:
            _attach_error(form, error)
        if not errors:
            try:
                image = _uploaded_image(form)
                editing.update_product(product, values, user_id=_user_id())
                if image:
                    editing.set_product_image(product, *image, user_id=_user_id())
                elif form.remove_image.data and product.image_data:
                    editing.set_product_image(product, None, "", user_id=_user_id())
            except ValidationFailed as error:
                db.session.rollback()
                _attach_error(form, error)
            else:
                db.session.commit()
                flash(_("Product %(reference)s saved.", reference=product.reference), "success")
                return redirect(url_for("catalog.product_detail", product_id=product.id))
    return render_template("catalog/manage/product_form.html", form=form, product=product,
                           title=_("Edit %(name)s", name=product.name))


@bp.route("/manage/products/<int:product_id>/prices", methods=["GET", "POST"])
@manager_required
def product_prices(product_id: int):
    """Show a product's price history and add a version."""
    product = _get_or_404(Product, product_id)
    today = today_paris()
    form = PriceForm()
    if request.method == "GET":
        form.valid_from.data = today
    if form.validate_on_submit():
        try:
            prices.add_price_version(product, form.unit_price.data, form.valid_from.data, today=today, user_id=_user_id())
        except ValidationFailed as error:
            db.session.rollback()
            _attach_error(form, error)
        else:
            db.session.commit()
            flash(_("New price saved for %(reference)s.", reference=product.reference), "success")
            return redirect(url_for("catalog.product_prices", product_id=product.id))
    return render_template("catalog/manage/prices.html", product=product, form=form, today=today)


@bp.route("/manage/products/<int:product_id>/tiers", methods=["GET", "POST"])
@manager_required
def product_tiers(product_id: int):
    """Set a product's pooled tier mode and bands; empty rows are ignored."""
    product = _get_or_404(Product, product_id)
    form = TiersForm()
    if request.method == "GET":
        form.tier_mode.data = product.tier_mode
        for index, tier in enumerate(product.tiers):
            if index >= len(form.tiers.entries):
                form.tiers.append_entry()
            form.tiers.entries[index].form.from_quantity.data = tier.from_quantity
            form.tiers.entries[index].form.unit_price.data = tier.unit_price
    if form.validate_on_submit():
        rows = [entry.form for entry in form.tiers.entries
                if entry.form.from_quantity.data is not None or entry.form.unit_price.data is not None]
        missing = [row for row in rows if row.from_quantity.data is None or row.unit_price.data is None]
        if missing:
            flash(_("A tier row has a quantity without a price, or a price without a quantity: fill in both, "
                    "or empty the row."), "error")
        else:
            tiers = [Tier(row.from_quantity.data, row.unit_price.data) for row in rows]
            try:
                prices.set_tiers(product, form.tier_mode.data, tiers, user_id=_user_id())
            except ValidationFailed as error:
                db.session.rollback()
                flash(str(error), "error")
            else:
                db.session.commit()
                flash(_("Pooled tiers saved for %(reference)s.", reference=product.reference), "success")
                return redirect(url_for("catalog.product_detail", product_id=product.id))
    return render_template("catalog/manage/tiers.html", product=product, form=form)


def _change_product_status(product_id: int, status: ProductStatus) -> Product:
    """Set a product's status, with its audit row, and commit."""
    product = _get_or_404(Product, product_id)
    editing.set_product_status(product, status, user_id=_user_id())
    db.session.commit()
    return product


@bp.route("/manage/products/<int:product_id>/archive", methods=["POST"])
@manager_required
def archive_product(product_id: int):
    product = _change_product_status(product_id, ProductStatus.ARCHIVED)
    flash(_("%(name)s is archived: members no longer see it, and orders keep it.", name=product.name), "success")
    return redirect(url_for("catalog.product_detail", product_id=product.id))


@bp.route("/manage/products/<int:product_id>/restore", methods=["POST"])
@manager_required
def restore_product(product_id: int):
    product = _change_product_status(product_id, ProductStatus.ACTIVE)
    flash(_("%(name)s is active again.", name=product.name), "success")
    return redirect(url_for("catalog.product_detail", product_id=product.id))


@bp.route("/manage/products/<int:product_id>/delete", methods=["POST"])
@manager_required
def delete_product(product_id: int):
    """Delete a product never ordered; an ordered one stays, with a message to archive it."""
    product = _get_or_404(Product, product_id)
    name = product.name
    try:
        editing.delete_product(product, user_id=_user_id())
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("catalog.product_detail", product_id=product_id))
    db.session.commit()
    flash(_("%(name)s is deleted.", name=name), "success")
    return redirect(url_for("catalog.list_products"))


# Import and export --------------------------------------------------------------------------


def _pending_folder() -> Path:
    folder = Path(current_app.config.get("CATALOG_IMPORT_FOLDER") or Path(current_app.instance_path) / "catalog_imports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _save_pending_import(data: bytes, filename: str) -> str:
    """Keep an uploaded file on the server until it is confirmed; returns its random token."""
    folder = _pending_folder()
    for old in folder.glob("*.json"):
        if old.stat().st_mtime < time.time() - PENDING_IMPORT_LIFETIME_SECONDS:
            old.unlink(missing_ok=True)
            old.with_suffix(".bin").unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.bin").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({"user_id": current_user.id, "filename": filename}))
    return token


def _load_pending_import(token: str) -> tuple[bytes, str] | None:
    """Return the file kept under ``token`` for the current user, None when it was already
    imported, or 404."""
    if not TOKEN_PATTERN.match(token):
        abort(404)
    folder = _pending_folder()
    try:
        meta = json.loads((folder / f"{token}.json").read_text())
    except FileNotFoundError:
        abort(404)
    if meta.get("user_id") != current_user.id:
        abort(404)
    if meta.get("applied"):
        return None
    try:
        data = (folder / f"{token}.bin").read_bytes()
    except FileNotFoundError:
        abort(404)
    return data, meta.get("filename", "")


def _mark_import_applied(token: str) -> None:
    """Delete the file but keep its metadata marked as applied.

    A second confirmation (a double click, the back button) then gets a message that the import
    is done, instead of a 404.
    """
    folder = _pending_folder()
    (folder / f"{token}.bin").unlink(missing_ok=True)
    meta_path = folder / f"{token}.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "applied": True}))


@bp.route("/manage/import", methods=["GET", "POST"])
@manager_required
def import_catalogue():
    """Upload a CSV or XLSX file and show what importing it would create, update and reject."""
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        try:
            plan = transfer.plan_import(transfer.read_catalogue_file(data, upload.filename), today_paris())
        except ValidationFailed as error:
            form.file.errors = [*form.file.errors, str(error)]
        else:
            token = _save_pending_import(data, upload.filename)
            logger.info("Catalogue import %s previewed by user %s: %s lines", token[:8], current_user.id, len(plan.lines))
            return render_template("catalog/manage/import_preview.html", plan=plan, token=token, filename=upload.filename)
    return render_template("catalog/manage/import.html", form=form, columns=transfer.COLUMNS)


@bp.route("/manage/import/<token>", methods=["POST"])
@manager_required
def confirm_import(token: str):
    """Import the valid lines of the file previewed under ``token``, planned again on today's catalogue."""
    pending = _load_pending_import(token)
    if pending is None:
        flash(_("This import has already been applied."), "error")
        return redirect(url_for("catalog.list_products"), code=303)
    data, filename = pending
    today = today_paris()
    try:
        plan = transfer.plan_import(transfer.read_catalogue_file(data, filename), today)
        created, updated = transfer.apply_import(plan, today=today, user_id=current_user.id)
    except ValidationFailed as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("catalog.import_catalogue"))
    db.session.commit()
    _mark_import_applied(token)
    flash(_("Import done. Products created: %(created)s; updated: %(updated)s; lines rejected and not imported: %(rejected)s.",
            created=created, updated=updated, rejected=len(plan.rejected)), "success")
    return redirect(url_for("catalog.list_products"))


@bp.route("/manage/export")
@manager_required
def export_catalogue():
    """Download the whole catalogue as CSV (default) or XLSX."""
    file_format = request.args.get("format", "csv")
    if file_format not in ("csv", "xlsx"):
        abort(404)
    today = today_paris()
    rows = transfer.export_rows(today)
    if file_format == "csv":
        data, mimetype = transfer.export_csv(rows), "text/csv"
    else:
        data, mimetype = transfer.export_xlsx(rows), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    filename = f"catalogue-{today.isoformat()}.{file_format}"
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# Audit trail --------------------------------------------------------------------------------


def _day_arg(name: str):
    try:
        return datetime.strptime(request.args.get(name, ""), "%Y-%m-%d").date()
    except ValueError:
        return None


@bp.route("/manage/audit")
@manager_required
def audit_log():
    """List who changed what in the catalogue, filtered by entity type, user and period."""
    entity_type = request.args.get("entity", "")
    user_id = request.args.get("user", "")
    start, end = _day_arg("from"), _day_arg("to")
    query = select(AuditEvent).where(AuditEvent.entity_type.in_(AUDIT_ENTITY_LABELS)).order_by(AuditEvent.id.desc())
    if entity_type in AUDIT_ENTITY_LABELS:
        query = query.where(AuditEvent.entity_type == entity_type)
    if user_id.isdigit():
        query = query.where(AuditEvent.user_id == int(user_id))
    if start:
        query = query.where(AuditEvent.created_at >= datetime.combine(start, day_time.min, PARIS))
    if end:
        query = query.where(AuditEvent.created_at <= datetime.combine(end, day_time.max, PARIS))
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=AUDIT_EVENTS_PER_PAGE,
                       error_out=False)
    authors = db.session.scalars(
        select(User).where(User.id.in_(select(AuditEvent.user_id).where(AuditEvent.entity_type.in_(AUDIT_ENTITY_LABELS))))
        .order_by(User.email)
    ).all()
    return render_template(
        "catalog/manage/audit.html", page=page, authors=authors, entity_labels=AUDIT_ENTITY_LABELS,
        action_labels=AUDIT_ACTION_LABELS, field_label=audit_field_label, value_text=audit_value_text, filters={"entity": entity_type, "user": user_id,
                                                    "from": request.args.get("from", ""), "to": request.args.get("to", "")},
    )
