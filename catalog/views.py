"""Catalogue pages: the members' browsing, and the managers' editing routes registered below."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user, login_required

from app.auth.roles import Role
from app.errors import NotFound
from app.extensions import db
from app.timeutils import today_paris

from . import services
from .models import SALE_UNIT_LABELS, TIER_MODE_LABELS, ProductStatus, SaleUnit, TierMode
from .pricing import tier_bands

logger = logging.getLogger(__name__)

bp = Blueprint("catalog", __name__, url_prefix="/catalog")

PRODUCTS_PER_PAGE = 50


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _cart_schools(user) -> list:
    """Return the schools a buyer can order for, or [] when the cart route is not installed."""
    if "orders.add_to_cart" not in current_app.view_functions or user.role != Role.BUYER.value:
        return []
    try:
        from members.services import schools_for_user
    except ImportError:
        return [school for school in user.member.schools if school.is_open] if user.member else []
    return schools_for_user(user)


@bp.route("")
@login_required
def list_products():
    """List the catalogue with a text search and filters on category, unit of sale and supplier."""
    day = today_paris()
    members_view = current_user.is_member_side
    unit = request.args.get("unit", "")
    status = request.args.get("status", "")
    filters = services.ProductFilters(
        search=request.args.get("q", "")[:100],
        category_id=_int_arg("category"),
        unit=unit if unit in {item.value for item in SaleUnit} else "",
        supplier_id=_int_arg("supplier"),
        status=status if status in {item.value for item in ProductStatus} else "",
    )
    page = db.paginate(
        services.browse_products(filters, members_view=members_view, day=day),
        page=_int_arg("page") or 1,
        per_page=PRODUCTS_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "catalog/list.html",
        page=page,
        filters=filters,
        day=day,
        members_view=members_view,
        categories=services.categories(),
        suppliers=services.suppliers(),
        unit_labels=SALE_UNIT_LABELS,
        gross_unit_price=services.gross_unit_price,
    )


@bp.route("/products/<int:product_id>")
@login_required
def product_detail(product_id: int):
    """Show a product: description, unit, prices with and without VAT, contract and tiers."""
    day = today_paris()
    try:
        product = services.get_product_for_user(current_user, product_id, day)
    except NotFound:
        abort(404)
    price = product.price_on(day)
    return render_template(
        "catalog/product.html",
        product=product,
        price=price,
        gross_price=services.gross_unit_price(product, price.unit_price) if price else None,
        day=day,
        orderable=services.is_orderable(product, day),
        bands=tier_bands(product.tiers) if product.tier_mode != TierMode.NONE.value else [],
        tier_mode_label=TIER_MODE_LABELS[TierMode(product.tier_mode)],
        cart_schools=_cart_schools(current_user),
        manager_view=current_user.has_role(Role.CATALOG_MANAGER, Role.ADMIN),
        members_view=current_user.is_member_side,
    )


@bp.route("/products/<int:product_id>/image")
@login_required
def product_image(product_id: int):
    """Serve a product's image, re-encoded at upload, to any user allowed to see the product."""
    try:
        product = services.get_product_for_user(current_user, product_id, today_paris())
    except NotFound:
        abort(404)
    if not product.image_data:
        abort(404)
    response = Response(product.image_data, mimetype=product.image_mime)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


# The managers' routes live in their own module and register on ``bp`` when it is imported.
from . import manage_views  # noqa: E402,F401
