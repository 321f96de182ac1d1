"""Catalogue editing forms; labels and messages are English msgids translated to French."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from app.forms import FrenchDecimalField, WholeNumberField
from app.money import UNIT_PRICE, VAT_RATE

from .pricing import TIER_PRICE
from .models import SALE_UNIT_LABELS, SALES_MODE_LABELS, TIER_MODE_LABELS, VAT_CATEGORY_LABELS


DATE_MESSAGE = _l("Enter the date as DD/MM/YYYY, or pick it in the calendar.")

# "S – Taux normal": the code stays in front of the label, which is translated when the form
# renders (an f-string here would freeze the English msgid at import time).
VAT_CATEGORY_CHOICES = [
    (code, LazyString(lambda code=code, label=label: f"{code} – {label}"))
    for code, label in VAT_CATEGORY_LABELS.items()
]


class CategoryForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(message=_l("Code is missing: enter a short code such as materiel.")), Length(max=40)],
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Name is missing: enter the category's name.")), Length(max=120)],
    )
    position = WholeNumberField(_l("Position in the list"), default=0, validators=[Optional()])


class SupplierForm(FlaskForm):
    name = StringField(
        _l("Company name"),
        validators=[DataRequired(message=_l("Company name is missing: enter the supplier's name.")), Length(max=200)],
    )
    siren = StringField(_l("SIREN"), validators=[Optional(), Length(max=20)])
    siret = StringField(_l("SIRET"), validators=[Optional(), Length(max=30)])
    vat_number = StringField(_l("VAT number"), validators=[Optional(), Length(max=20)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    contact_name = StringField(_l("Contact name"), validators=[Optional(), Length(max=200)])
    contact_email = StringField(
        _l("Contact e-mail"),
        validators=[Optional(), Email(message=_l("Contact e-mail is invalid: enter an address like nom@exemple.fr.")),
                    Length(max=254)],
    )
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])


class ContractForm(FlaskForm):
    number = StringField(
        _l("Contract number"),
        validators=[DataRequired(message=_l("Contract number is missing: enter the marché number, for example 2024-MN-ENT-01.")),
                    Length(max=60)],
    )
    lot = StringField(_l("Lot"), validators=[Optional(), Length(max=20)])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    supplier_id = SelectField(_l("Supplier"), coerce=int, validate_choice=False)
    start_date = DateField(_l("Start date"), validators=[DataRequired(message=DATE_MESSAGE)])
    end_date = DateField(_l("End date"), validators=[DataRequired(message=DATE_MESSAGE)])
    sales_mode = SelectField(
        _l("Sales mode"), choices=[(mode.value, label) for mode, label in SALES_MODE_LABELS.items()]
    )


class ProductForm(FlaskForm):
    reference = StringField(
        _l("Reference"),
        validators=[DataRequired(message=_l("Reference is missing: enter the product's reference.")), Length(max=40)],
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(message=_l("Name is missing: enter the product's name.")), Length(max=200)]
    )
    description = TextAreaField(_l("Description"), validators=[Optional()])
    category_id = SelectField(_l("Category"), coerce=int, validate_choice=False)
    contract_id = SelectField(_l("Contract"), coerce=int, validate_choice=False)
    unit = SelectField(_l("Unit of sale"), choices=[(unit.value, label) for unit, label in SALE_UNIT_LABELS.items()])
    vat_category = SelectField(
        _l("VAT category"), choices=VAT_CATEGORY_CHOICES
    )
    vat_rate = FrenchDecimalField(_l("VAT rate (%)"), rule=VAT_RATE, default=Decimal("20"))
    vat_exemption_reason = StringField(_l("VAT exemption reason"), validators=[Optional(), Length(max=200)])
    is_subscription = BooleanField(_l("Subscription (renewed each school year)"))
    is_example = BooleanField(_l("Example price (shown with an « Example price » badge)"))
    image = FileField(
        _l("Image"),
        validators=[FileAllowed(["jpg", "jpeg", "png", "webp"], _l("Image must be a JPEG, PNG or WebP file."))],
    )
    remove_image = BooleanField(_l("Remove the current image"))


class NewProductForm(ProductForm):
    unit_price = FrenchDecimalField(_l("Unit price excl. VAT (€)"), rule=UNIT_PRICE)
    price_valid_from = DateField(_l("Price valid from"), validators=[DataRequired(message=DATE_MESSAGE)])


class PriceForm(FlaskForm):
    unit_price = FrenchDecimalField(_l("New unit price excl. VAT (€)"), rule=UNIT_PRICE)
    valid_from = DateField(_l("Valid from"), validators=[DataRequired(message=DATE_MESSAGE)])


class TierRowForm(Form):
    from_quantity = WholeNumberField(_l("From quantity"), min_value=Decimal(1), validators=[Optional()])
    unit_price = FrenchDecimalField(_l("Unit price excl. VAT (€)"), rule=TIER_PRICE)


class TiersForm(FlaskForm):
    tier_mode = SelectField(_l("Tier mode"), choices=[(mode.value, label) for mode, label in TIER_MODE_LABELS.items()])
    tiers = FieldList(FormField(TierRowForm), min_entries=6, max_entries=30)


class ImportForm(FlaskForm):
    file = FileField(
        _l("Catalogue file (CSV or XLSX)"),
        validators=[
            FileRequired(message=_l("File is missing: choose a CSV or XLSX file.")),
            FileAllowed(["csv", "xlsx", "txt"], _l("File must be a CSV or XLSX file.")),
        ],
    )
