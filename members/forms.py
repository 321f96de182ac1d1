"""Forms of the member pages: the member edit, the school counts and the import upload."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, Optional

from app.forms import WholeNumberField

from .models import CHORUS_REQUIREMENT_LABELS, MEMBERSHIP_STATUS_LABELS


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes, one per choice."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class MemberEditForm(FlaskForm):
    billing_siret = StringField(
        _l("Billing SIRET"),
        validators=[Optional(), Length(max=20)],
        description=_l("14 digits, starting with the member's SIREN. Leave empty while it is unknown."),
    )
    address_line1 = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    address_line2 = StringField(_l("Address (continued)"), validators=[Optional(), Length(max=200)])
    postcode = StringField(_l("Postcode"), validators=[Optional(), Length(max=10)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    chorus_requirement = SelectField(
        _l("References required by Chorus Pro"),
        choices=[SelectChoice(key.value, label) for key, label in CHORUS_REQUIREMENT_LABELS.items()],
    )
    active_codes = MultiCheckboxField(_l("Active service codes"), coerce=int, validate_choice=False)
    new_service_code = StringField(
        _l("New service code"),
        validators=[Optional(), Length(max=100)],
        description=_l("As the member's structure declares it in Chorus Pro, at most 100 characters."),
    )
    new_service_label = StringField(_l("Label of the new service code"), validators=[Optional(), Length(max=200)])
    finance_email = EmailField(
        _l("Finance e-mail"),
        validators=[Optional(), Email(message=_l("Enter a valid e-mail address, for example finances@mairie.fr.")),
                    Length(max=254)],
    )
    membership_status = SelectField(
        _l("Membership status"),
        choices=[SelectChoice(key.value, label) for key, label in MEMBERSHIP_STATUS_LABELS.items()],
    )
    submit = SubmitField(_l("Save"))


class SchoolCountsForm(FlaskForm):
    school_year = SelectField(_l("School year"), coerce=int)
    pupils = WholeNumberField(_l("Pupils"), validators=[Optional()])
    classes = WholeNumberField(_l("Classes"), validators=[Optional()])
    submit = SubmitField(_l("Save the counts"))


class ImportUploadForm(FlaskForm):
    kind = SelectField(
        _l("File type"),
        choices=[
            SelectChoice("annuaire", _l("Annuaire de l'éducation (CSV as published)")),
            SelectChoice("sirets", _l("Billing SIRETs (CSV with siren and siret columns)")),
        ],
    )
    file = FileField(_l("CSV file"), validators=[FileRequired(message=_l("Choose a CSV file."))])
    submit = SubmitField(_l("Preview the import"))


class ImportConfirmForm(FlaskForm):
    confirm = BooleanField(_l("I have read the preview and want to import this file"))
    submit = SubmitField(_l("Import"))
