"""Order screens: pick a school, its cart, submission, the order page, the lists and the PDF."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import timeutils
from app.auth.roles import CENTRALE_ROLES, Role, roles_required
from app.errors import DomainError, NotFound, ValidationFailed
from app.extensions import db
from app.formatting import format_number
from app.templating import allowed_query_args
from catalog.models import Product
from members.models import Member, School
from members.services import schools_for_user

from . import approval, services
from .forms import (
    AddToCartForm,
    LineQuantityForm,
    OrderFilterForm,
    ReasonForm,
    SchoolSearchForm,
    ServiceCodeSubmitOrderForm,
    SubmitOrderForm,
)
from .models import Order
from .purchase_order import purchase_order_filename, purchase_order_pdf
from .states import ORDER_STATUS_LABELS, OrderStatus

logger = logging.getLogger(__name__)

bp = Blueprint("orders", __name__, url_prefix="/orders")

MEMBER_SIDE = (Role.BUYER, Role.APPROVER)
EVERY_ROLE = tuple(Role)
ORDERS_PER_PAGE = 50


def _order_or_404(order_id: int) -> Order:
    try:
        return services.get_order_for_user(current_user, order_id)
    except NotFound:
        abort(404)


def _school_or_404(school_id: int) -> School:
    try:
        return services.get_cart_school(current_user, school_id)
    except NotFound:
        abort(404)


def _flash_error(error: DomainError) -> None:
    logger.info("Order request of user %s rejected: %s", current_user.id, error)
    flash(str(error), "error")


# --- Lists --------------------------------------------------------------------------------


def _filter_form() -> tuple[OrderFilterForm, services.OrderFilters]:
    """Build the list filters from the query string; an unknown value is ignored."""
    form = OrderFilterForm(request.args)
    is_member_side = current_user.is_member_side

    status_choices = [("", _("All statuses"))]
    if current_user.has_role(Role.APPROVER):
        status_choices.append((services.TO_APPROVE, _("To approve")))
    for status in OrderStatus:
        if status != OrderStatus.DRAFT or is_member_side:
            status_choices.append((status.value, str(ORDER_STATUS_LABELS[status])))
    form.status.choices = status_choices

    member_id = _int_or_none(form.member_id.data) if not is_member_side else current_user.member_id
    if not is_member_side:
        members = db.session.scalars(
            select(Member).where(Member.id.in_(select(Order.member_id).where(Order.status != "draft")))
            .order_by(Member.name)
        )
        form.member_id.choices = [("", _("All members"))] + [(str(m.id), m.name) for m in members]
    schools = (
        db.session.scalars(select(School).where(School.member_id == member_id).order_by(School.name))
        if member_id
        else []
    )
    form.school_id.choices = [("", _("All schools"))] + [(str(s.id), f"{s.name} ({s.uai})") for s in schools]

    valid_statuses = {value for value, _label in status_choices if value}
    filters = services.OrderFilters(
        school_id=_int_or_none(form.school_id.data),
        member_id=member_id if not is_member_side else None,
        status=form.status.data if form.status.data in valid_statuses else None,
        submitted_from=form.submitted_from.data,
        submitted_to=form.submitted_to.data,
    )
    return form, filters


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@bp.route("")
@roles_required(*EVERY_ROLE)
def list_orders():
    form, filters = _filter_form()
    page = request.args.get("page", 1, type=int)
    pagination = db.paginate(
        services.orders_query(current_user, filters), page=page, per_page=ORDERS_PER_PAGE, error_out=False
    )
    query_args = allowed_query_args("school_id", "member_id", "status", "submitted_from", "submitted_to")
    return render_template(
        "orders/list.html",
        form=form,
        pagination=pagination,
        query_args=query_args,
        carts=services.carts_of(current_user) if current_user.is_member_side else [],
        to_approve_count=services.count_to_approve(current_user),
        to_approve=services.TO_APPROVE,
        is_centrale=current_user.role_enum in CENTRALE_ROLES,
    )


# --- Cart ---------------------------------------------------------------------------------


@bp.route("/new")
@roles_required(*MEMBER_SIDE)
def pick_school():
    form = SchoolSearchForm(request.args)
    schools = schools_for_user(current_user)
    search = (form.q.data or "").strip().casefold()
    if search:
        schools = [
            school
            for school in schools
            if search in school.name.casefold()
            or search in school.uai.casefold()
            or search in (school.commune_name or "").casefold()
        ]
    carts = {order.school_id: order for order in services.carts_of(current_user)}
    return render_template("orders/pick_school.html", form=form, schools=schools, carts=carts)


def _submit_form(member: Member, order: Order | None, formdata=None) -> SubmitOrderForm:
    codes = member.active_service_codes
    form_class = ServiceCodeSubmitOrderForm if codes else SubmitOrderForm
    form = form_class(formdata=formdata, obj=order if formdata is None else None)
    if codes:
        form.service_code.choices = [("", _("Choose a service code"))] + [
            (code.code, f"{code.code} – {code.label}" if code.label else code.code) for code in codes
        ]
    if formdata is None and order is not None:
        form.submission_token.data = order.submission_token
    return form


def _render_cart(school: School, submit_form: SubmitOrderForm | None = None, add_form=None, status: int = 200):
    order = services.find_cart(current_user, school)
    today = timeutils.today_paris()
    cart = services.build_cart(school, order, today)
    products = [
        (product, price, services.proposed_quantity(product, school))
        for product, price in services.orderable_products(today)
    ]
    catalogue_url = None
    if "catalog.list_products" in current_app.view_functions:
        catalogue_url = url_for("catalog.list_products", school_id=school.id)
    return (
        render_template(
            "orders/cart.html",
            school=school,
            cart=cart,
            products=products,
            add_form=add_form or AddToCartForm(school_id=school.id),
            submit_form=submit_form or _submit_form(school.member, order),
            quantity_form=LineQuantityForm(),
            catalogue_url=catalogue_url,
            chorus_requirement=school.member.chorus_requirement_label,
        ),
        status,
    )


@bp.route("/cart/<int:school_id>")
@roles_required(*MEMBER_SIDE)
def cart(school_id: int):
    return _render_cart(_school_or_404(school_id))


@bp.route("/cart/add", methods=["POST"])
@roles_required(*MEMBER_SIDE)
def add_to_cart():
    """Add a product to a school's cart (posted by the cart page and the catalogue)."""
    form = AddToCartForm()
    school_id = _int_or_none(form.school_id.data)
    if school_id is None:
        abort(404)
    school = _school_or_404(school_id)

    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return _render_cart(school, add_form=form, status=422)
    product = db.session.get(Product, form.product_id.data)
    if product is None:
        abort(404)

    try:
        quantity = services.parse_quantity(form.quantity.data)
        line = services.add_to_cart(current_user, school, product, quantity, timeutils.today_paris())
    except DomainError as error:
        db.session.rollback()
        if error.field == "quantity":
            form.quantity.errors = [str(error)]
        _flash_error(error)
        return _render_cart(school, add_form=form, status=422)

    db.session.commit()
    flash(
        _("%(product)s added to the cart of %(school)s (quantity %(quantity)s).",
          product=product.name, school=school.name, quantity=format_number(line.quantity)),
        "success",
    )
    return redirect(url_for("orders.cart", school_id=school.id), code=303)


def _cart_order_or_404(school: School) -> Order:
    order = services.find_cart(current_user, school)
    if order is None:
        abort(404)
    return order


@bp.route("/cart/<int:school_id>/lines/<int:line_id>/quantity", methods=["POST"])
@roles_required(*MEMBER_SIDE)
def change_quantity(school_id: int, line_id: int):
    school = _school_or_404(school_id)
    order = _cart_order_or_404(school)
    form = LineQuantityForm()
    try:
        quantity = services.parse_quantity(form.quantity.data)
        if quantity is None:
            raise ValidationFailed(_("Enter a quantity."), field="quantity")
        services.change_line_quantity(order, line_id, quantity)
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.rollback()
        _flash_error(error)
        return redirect(url_for("orders.cart", school_id=school.id), code=303)
    db.session.commit()
    flash(_("Quantity updated."), "success")
    return redirect(url_for("orders.cart", school_id=school.id), code=303)


@bp.route("/cart/<int:school_id>/lines/<int:line_id>/remove", methods=["POST"])
@roles_required(*MEMBER_SIDE)
def remove_line(school_id: int, line_id: int):
    school = _school_or_404(school_id)
    order = _cart_order_or_404(school)
    try:
        services.remove_line(order, line_id)
    except NotFound:
        abort(404)
    db.session.commit()
    flash(_("Line removed from the cart."), "success")
    return redirect(url_for("orders.cart", school_id=school.id), code=303)


@bp.route("/cart/<int:school_id>/submit", methods=["POST"])
@roles_required(*MEMBER_SIDE)
def submit(school_id: int):
    school = _school_or_404(school_id)
    token = request.form.get("submission_token", "")
    order = services.find_submission_target(current_user, school, token)
    if order is None:
        flash(_("The cart is empty: add at least one product before submitting."), "error")
        return redirect(url_for("orders.cart", school_id=school.id), code=303)
    form = _submit_form(school.member, order, formdata=request.form)
    try:
        if order.is_draft:
            services.save_references(
                order, form.service_code.data or "", form.engagement_number.data or "", form.buyer_note.data or ""
            )
            db.session.commit()
        result = services.submit_order(order, current_user, token)
    except DomainError as error:
        db.session.rollback()
        if error.field and error.field in form and error.field != "submission_token":
            form[error.field].errors = [str(error)]
        _flash_error(error)
        form.submission_token.data = order.submission_token
        return _render_cart(school, submit_form=form, status=422)
    db.session.commit()
    if result.replayed:
        flash(_("Order %(number)s was already submitted.", number=result.order.number), "info")
    else:
        flash(
            _("Order %(number)s submitted: it now awaits approval.", number=result.order.number), "success"
        )
    return redirect(url_for("orders.order_detail", order_id=result.order.id), code=303)


# --- Order page and actions ---------------------------------------------------------------


@bp.route("/<int:order_id>")
@roles_required(*EVERY_ROLE)
def order_detail(order_id: int):
    order = _order_or_404(order_id)
    if order.is_draft:
        return redirect(url_for("orders.cart", school_id=order.school_id))
    actions = services.available_transitions(order, current_user)
    return render_template(
        "orders/detail.html",
        order=order,
        approval_progress=approval.approval_progress(order) if order.status == OrderStatus.SUBMITTED.value else None,
        totals=order.totals(),
        actions=actions,
        statuses=OrderStatus,
        cancel_needs_reason=services.reason_required(order, OrderStatus.CANCELLED, current_user),
        reason_form=ReasonForm(),
    )


def _apply_transition(order_id: int, target: OrderStatus, success_message: str):
    order = _order_or_404(order_id)
    form = ReasonForm()
    try:
        services.transition(order, target, current_user, reason=form.reason.data or "")
    except DomainError as error:
        db.session.rollback()
        _flash_error(error)
        return redirect(url_for("orders.order_detail", order_id=order_id), code=303)
    db.session.commit()
    if target == OrderStatus.APPROVED and order.status == OrderStatus.SUBMITTED.value:
        # Above the member's threshold (orders/approval.py) a first approval waits for a second one.
        success_message = _("Your approval of order %(number)s is recorded: a second approver must approve it too.")
    flash(success_message % {"number": order.number or order.id}, "success")
    if target == OrderStatus.DRAFT:
        return redirect(url_for("orders.cart", school_id=order.school_id), code=303)
    if order.number is None:
        # A cancelled cart has no order page: it never became an order.
        return redirect(url_for("orders.list_orders"), code=303)
    return redirect(url_for("orders.order_detail", order_id=order.id), code=303)


@bp.route("/<int:order_id>/approve", methods=["POST"])
@roles_required(Role.APPROVER)
def approve(order_id: int):
    return _apply_transition(order_id, OrderStatus.APPROVED, _("Order %(number)s approved."))


@bp.route("/<int:order_id>/reject", methods=["POST"])
@roles_required(Role.APPROVER)
def reject(order_id: int):
    return _apply_transition(order_id, OrderStatus.REJECTED, _("Order %(number)s rejected."))


@bp.route("/<int:order_id>/cancel", methods=["POST"])
@roles_required(Role.BUYER, Role.APPROVER, Role.ADMIN)
def cancel(order_id: int):
    return _apply_transition(order_id, OrderStatus.CANCELLED, _("Order %(number)s cancelled."))


@bp.route("/<int:order_id>/reopen", methods=["POST"])
@roles_required(*MEMBER_SIDE)
def reopen(order_id: int):
    return _apply_transition(
        order_id, OrderStatus.DRAFT, _("Order %(number)s is back in your cart: correct it and submit it again.")
    )


@bp.route("/<int:order_id>/purchase-order.pdf")
@roles_required(*EVERY_ROLE)
def purchase_order(order_id: int):
    order = _order_or_404(order_id)
    try:
        pdf = purchase_order_pdf(order)
    except NotFound:
        abort(404)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{purchase_order_filename(order)}"'
    if order.purchase_order_sha256:
        response.headers["ETag"] = f'"{order.purchase_order_sha256}"'
    response.headers["Cache-Control"] = "private, no-store" if not order.purchase_order_sha256 else "private"
    return response
