"""Forms of the cart, the order actions and the order list filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class AddToCartForm(FlaskForm):
    """Add a product to a school's cart; the catalogue's product page posts the same fields."""

    product_id = IntegerField(_l("Product"), validators=[DataRequired(message=_l("Choose a product."))])
    school_id = IntegerField(_l("School"), validators=[DataRequired(message=_l("Choose a school."))])
    quantity = StringField(_l("Quantity"), validators=[Optional()])


class LineQuantityForm(FlaskForm):
    quantity = StringField(_l("Quantity"), validators=[DataRequired(message=_l("Enter a quantity."))])


class SubmitOrderForm(FlaskForm):
    """The Chorus Pro references, the buyer's note and the one-time submission token."""

    service_code = StringField(_l("Chorus Pro service code"), validators=[Length(max=100)])
    engagement_number = StringField(_l("Engagement number"), validators=[Length(max=50)])
    buyer_note = TextAreaField(_l("Note for the approver (optional)"), validators=[Length(max=2000)])
    submission_token = HiddenField()


class ServiceCodeSubmitOrderForm(SubmitOrderForm):
    """The submit form of a member that has active service codes: the code is chosen among them."""

    service_code = SelectField(_l("Chorus Pro service code"), choices=[], validate_choice=False)


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])


class OrderFilterForm(FlaskForm):
    """The order list filters, sent with GET."""

    class Meta:
        csrf = False

    school_id = SelectField(_l("School"), choices=[], validate_choice=False, validators=[Optional()])
    member_id = SelectField(_l("Member"), choices=[], validate_choice=False, validators=[Optional()])
    status = SelectField(_l("Status"), choices=[], validate_choice=False, validators=[Optional()])
    submitted_from = DateField(_l("Submitted from"), validators=[Optional()])
    submitted_to = DateField(_l("Submitted until"), validators=[Optional()])


class SchoolSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search a school (name, UAI or commune)"), validators=[Optional(), Length(max=100)])
