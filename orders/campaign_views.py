"""Campaign screens: the list, creation, shared costs and the closing batch."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from app.auth.roles import CENTRALE_ROLES, Role, roles_required
from app.errors import DomainError, NotFound
from app.extensions import db
from app.forms import FrenchDecimalField
from app.money import POSITIVE_AMOUNT
from app.timeutils import today_paris
from catalog.models import Product, ProductStatus, TierMode

from .campaign_models import ALLOCATION_KEY_LABELS
from .campaigns import (
    add_campaign_cost,
    allocate_campaign_costs,
    campaign_order_count,
    campaign_settlements,
    close_campaign,
    create_campaign,
    get_campaign,
    list_campaigns,
)

logger = logging.getLogger(__name__)

bp = Blueprint("campaigns", __name__, url_prefix="/campagnes")

MANAGERS = (Role.CATALOG_MANAGER, Role.ADMIN)


class CampaignForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    school_year = IntegerField(
        _l("School year (starting year)"), validators=[DataRequired(), NumberRange(min=2000, max=2100)]
    )
    opens_on = DateField(_l("Opening date"), validators=[DataRequired()])
    closes_on = DateField(_l("Closing date"), validators=[DataRequired()])
    products = SelectMultipleField(_l("Pooled products"), coerce=int, validators=[DataRequired()])


class CostForm(FlaskForm):
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=200)])
    amount = FrenchDecimalField(_l("Amount excl. VAT (€)"), rule=POSITIVE_AMOUNT, validators=[InputRequired()])
    allocation_key = SelectField(
        _l("Allocation key"), choices=[(key.value, label) for key, label in ALLOCATION_KEY_LABELS.items()]
    )


def _pooled_products() -> list[Product]:
    return list(
        db.session.scalars(
            select(Product)
            .where(Product.tier_mode != TierMode.NONE.value, Product.status == ProductStatus.ACTIVE.value)
            .order_by(Product.reference)
        )
    )


def _campaign_or_404(campaign_id: int):
    try:
        return get_campaign(campaign_id)
    except NotFound:
        abort(404)


@bp.route("/", endpoint="list_campaigns")
@roles_required(*CENTRALE_ROLES)
def list_campaigns_page():
    return render_template("campaigns/list.html", campaigns=list_campaigns(), can_manage=current_user.has_role(*MANAGERS))


@bp.route("/nouvelle", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new_campaign():
    form = CampaignForm()
    products = _pooled_products()
    form.products.choices = [(product.id, f"{product.reference} – {product.name}") for product in products]
    if form.validate_on_submit():
        chosen = [product for product in products if product.id in form.products.data]
        try:
            campaign = create_campaign(
                name=form.name.data,
                school_year=form.school_year.data,
                opens_on=form.opens_on.data,
                closes_on=form.closes_on.data,
                products=chosen,
            )
        except DomainError as error:
            db.session.rollback()
            logger.info("Campaign creation rejected: %s", error)
            field = getattr(form, error.field or "", None)
            if field is not None:
                field.errors.append(error.message)
            else:
                flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Campaign %(name)s created.", name=campaign.name), "success")
            return redirect(url_for("campaigns.show_campaign", campaign_id=campaign.id))
    return render_template("campaigns/new.html", form=form, has_products=bool(products))


@bp.route("/<int:campaign_id>")
@roles_required(*CENTRALE_ROLES)
def show_campaign(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    return render_template(
        "campaigns/detail.html",
        campaign=campaign,
        order_count=campaign_order_count(campaign.id),
        allocations=allocate_campaign_costs(campaign),
        settlements=campaign_settlements(campaign.id),
        cost_form=CostForm(),
        can_manage=current_user.has_role(*MANAGERS),
        today=today_paris(),
    )


@bp.route("/<int:campaign_id>/couts", methods=["POST"])
@roles_required(*MANAGERS)
def add_cost(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    form = CostForm()
    if not form.validate_on_submit():
        flash(_("The cost was not added: fill in the label and the amount."), "error")
        for message in form.amount.errors:
            flash(str(message), "error")
        return redirect(url_for("campaigns.show_campaign", campaign_id=campaign.id))
    try:
        add_campaign_cost(campaign, label=form.label.data, amount=form.amount.data, allocation_key=form.allocation_key.data)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Shared cost added."), "success")
    return redirect(url_for("campaigns.show_campaign", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/cloturer", methods=["POST"])
@roles_required(*MANAGERS)
def close(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    try:
        result = close_campaign(campaign, user=current_user)
    except DomainError as error:
        db.session.rollback()
        logger.warning("Closing campaign %s failed: %s", campaign.id, error)
        flash(str(error), "error")
        return redirect(url_for("campaigns.show_campaign", campaign_id=campaign.id))
    db.session.commit()
    if result.closed:
        flash(
            _("Campaign %(name)s closed: %(count)s settlements recorded.", name=campaign.name, count=len(result.settlements)),
            "success",
        )
    else:
        flash(_("Campaign %(name)s was already closed: nothing changed.", name=campaign.name), "warning")
    return redirect(url_for("campaigns.show_campaign", campaign_id=campaign.id))
