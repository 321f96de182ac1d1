"""Forms of the invoicing screens: drafts, lines, payments, imports, exports and list filters."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.forms import FrenchDecimalField
from app.money import POSITIVE_AMOUNT, QUANTITY, UNIT_PRICE, VAT_RATE

from .exports import FORMATS
from .models import DOCUMENT_KIND_LABELS, INVOICE_STATUS_LABELS
from .services import GROUP_PER_MEMBER, GROUP_PER_ORDER

VAT_CATEGORY_CHOICES = [
    ("S", _l("Standard rate")),
    ("E", _l("Exempt")),
    ("Z", _l("Zero rate")),
    ("O", _l("Outside the scope of VAT")),
]


class InvoiceFilterForm(FlaskForm):
    """The invoice list filters, sent with GET."""

    class Meta:
        csrf = False

    member_id = SelectField(_l("Member"), choices=[], validate_choice=False, validators=[Optional()])
    kind = SelectField(
        _l("Type"),
        choices=[("", _l("Invoices and credit notes"))] + [(kind.value, label) for kind, label in DOCUMENT_KIND_LABELS.items()],
        validators=[Optional()],
    )
    status = SelectField(
        _l("Status"),
        choices=[("", _l("All statuses"))] + [(status.value, label) for status, label in INVOICE_STATUS_LABELS.items()],
        validators=[Optional()],
    )
    issued_from = DateField(_l("Issued from"), validators=[Optional()])
    issued_to = DateField(_l("Issued until"), validators=[Optional()])


class CreateDraftsForm(FlaskForm):
    """Draft invoices from the chosen approved orders, one per order or one per member."""

    grouping = RadioField(
        _l("Grouping"),
        choices=[
            (GROUP_PER_ORDER, _l("One invoice per order")),
            (GROUP_PER_MEMBER, _l("One invoice per member grouping its orders of the period")),
        ],
        default=GROUP_PER_ORDER,
        validators=[DataRequired(message=_l("Choose how to group the orders."))],
    )
    period_start = DateField(_l("Approved from"), validators=[Optional()])
    period_end = DateField(_l("Approved until"), validators=[Optional()])


class DraftForm(FlaskForm):
    """The header of a draft invoice or credit note."""

    subject = StringField(_l("Subject"), validators=[Length(max=200)])
    service_code = StringField(_l("Chorus Pro service code"), validators=[Length(max=100)])
    engagement_number = StringField(_l("Engagement number"), validators=[Length(max=50)])
    contract_reference = StringField(_l("Contract reference"), validators=[Length(max=100)])
    period_start = DateField(_l("Period start"), validators=[Optional()])
    period_end = DateField(_l("Period end"), validators=[Optional()])
    note = TextAreaField(_l("Note printed on the document"), validators=[Length(max=2000)])


class FreeLineForm(FlaskForm):
    """A line that comes from no order."""

    name = StringField(_l("Designation"), validators=[DataRequired(message=_l("Enter a designation.")), Length(max=200)])
    quantity = FrenchDecimalField(
        _l("Quantity"), rule=QUANTITY, validators=[InputRequired(message=_l("Enter a quantity."))]
    )
    unit_price = FrenchDecimalField(
        _l("Unit price excl. VAT"), rule=UNIT_PRICE, validators=[InputRequired(message=_l("Enter a unit price."))]
    )
    vat_category = SelectField(_l("VAT category"), choices=VAT_CATEGORY_CHOICES, default="S")
    vat_rate = FrenchDecimalField(_l("VAT rate (%)"), rule=VAT_RATE, default=Decimal(20))
    vat_exemption_reason = StringField(_l("Legal reason for no VAT"), validators=[Length(max=200)])


class LineChangeForm(FlaskForm):
    quantity = FrenchDecimalField(
        _l("Quantity"), rule=QUANTITY, validators=[InputRequired(message=_l("Enter a quantity."))]
    )
    unit_price = FrenchDecimalField(
        _l("Unit price excl. VAT"), rule=UNIT_PRICE, validators=[InputRequired(message=_l("Enter a unit price."))]
    )


class PaymentForm(FlaskForm):
    """A payment received: date, amount (decimal comma accepted), mandat or transfer reference."""

    paid_on = DateField(_l("Payment date"), validators=[DataRequired(message=_l("Enter the payment date."))])
    amount = FrenchDecimalField(
        _l("Amount"), rule=POSITIVE_AMOUNT, validators=[InputRequired(message=_l("Enter the amount, for example 120,50."))]
    )
    reference = StringField(_l("Mandat or transfer reference"), validators=[Length(max=100)])
    # One-time token: the same form sent twice records one payment.
    form_token = HiddenField()


class CancelPaymentForm(FlaskForm):
    """The reason for cancelling a recorded payment: a rejected mandat, a payment on the wrong invoice."""

    reason = StringField(
        _l("Reason for cancelling"),
        validators=[DataRequired(message=_l("Enter the reason for cancelling the payment.")), Length(max=500)],
    )


class PaymentImportForm(FlaskForm):
    file = FileField(
        _l("Payment file (CSV)"),
        validators=[
            FileRequired(message=_l("Choose a CSV file.")),
            FileAllowed(["csv", "txt"], message=_l("The file must be a .csv file.")),
        ],
    )


class PaymentImportConfirmForm(FlaskForm):
    """Confirms an import previewed before; the file travels back as text."""

    content = HiddenField()


class ExportForm(FlaskForm):
    """The period, status and format of a finance export, sent with GET."""

    class Meta:
        csrf = False

    date_from = DateField(_l("Issued from"), validators=[DataRequired(message=_l("Enter the first day."))])
    date_to = DateField(_l("Issued until"), validators=[DataRequired(message=_l("Enter the last day."))])
    status = SelectField(
        _l("Status"),
        choices=[("", _l("All statuses"))]
        + [(status.value, label) for status, label in INVOICE_STATUS_LABELS.items() if status.value != "draft"],
        validators=[Optional()],
    )
    export_format = SelectField(
        _l("Format"),
        choices=[
            ("csv", _l("CSV for Excel")),
            ("xlsx", _l("Excel workbook (XLSX)")),
            ("zip", _l("ZIP of the Factur-X PDFs")),
            ("titres", _l("Revenue orders (titres de recette, CSV)")),
        ],
        default="csv",
    )

    def validate_export_format(self, field) -> None:
        if field.data not in FORMATS:
            from wtforms.validators import ValidationError

            raise ValidationError(_l("Choose a format from the list."))
