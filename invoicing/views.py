"""Invoicing screens: the list, a document's page and files, drafts, payments and exports."""

from __future__ import annotations

import base64
import binascii
import logging
import secrets

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from app.auth.roles import Role, roles_required
from app.einvoicing import EInvoiceInvalid
from app.errors import DomainError, NotFound
from app.extensions import db
from app.formatting import format_money
from app.templating import allowed_query_args
from app.timeutils import today_paris
from members.models import Member
from orders.campaign_models import Campaign
from orders.models import Order

from . import credit_notes, exports, payments, services, settlements
from .documents import document_filename
from .forms import (
    CancelPaymentForm,
    CreateDraftsForm,
    DraftForm,
    ExportForm,
    FreeLineForm,
    InvoiceFilterForm,
    LineChangeForm,
    PaymentForm,
    PaymentImportConfirmForm,
    PaymentImportForm,
)
from .models import Invoice, Payment

logger = logging.getLogger(__name__)

bp = Blueprint("invoicing", __name__, url_prefix="/invoices")

READERS = (Role.BUYER, Role.APPROVER, Role.FINANCE, Role.ADMIN)
FINANCE = (Role.FINANCE, Role.ADMIN)
INVOICES_PER_PAGE = 50


def _invoice_or_404(invoice_id: int) -> Invoice:
    try:
        return services.get_invoice_for_user(current_user, invoice_id)
    except NotFound:
        abort(404)


def _draft_or_404(invoice_id: int) -> Invoice:
    invoice = _invoice_or_404(invoice_id)
    if not invoice.is_draft:
        abort(404)
    return invoice


def _flash_error(error: DomainError) -> None:
    logger.info("User %s: %s", current_user.id, error)
    flash(str(error), "error")


def _apply_to_draft(invoice_id: int, change, success_message: str):
    """Run ``change`` on a draft: commit and flash ``success_message``, or roll back and flash the error.

    Either way the user returns to the draft's page.
    """
    try:
        change()
    except DomainError as error:
        db.session.rollback()
        _flash_error(error)
    else:
        db.session.commit()
        flash(success_message, "success")
    return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice_id))


def _flash_form_errors(form) -> None:
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")


# --- List and documents -------------------------------------------------------------------


@bp.route("")
@roles_required(*READERS)
def list_invoices():
    form = InvoiceFilterForm(request.args)
    if not current_user.is_member_side:
        members = db.session.scalars(
            select(Member).where(Member.id.in_(select(Invoice.member_id))).order_by(Member.name)
        )
        form.member_id.choices = [("", _("All members"))] + [(str(m.id), m.name) for m in members]
    filters = services.InvoiceFilters(
        member_id=int(form.member_id.data) if (form.member_id.data or "").isdigit() else None,
        kind=form.kind.data or None if form.kind.data in dict(form.kind.choices) else None,
        status=form.status.data or None if form.status.data in dict(form.status.choices) else None,
        issued_from=form.issued_from.data if form.issued_from.data and not form.issued_from.errors else None,
        issued_to=form.issued_to.data if form.issued_to.data and not form.issued_to.errors else None,
    )
    page = request.args.get("page", 1, type=int)
    pagination = db.paginate(
        services.invoices_query(current_user, filters), page=page, per_page=INVOICES_PER_PAGE, error_out=False
    )
    query_args = allowed_query_args("member_id", "kind", "status", "issued_from", "issued_to")
    return render_template(
        "invoicing/list.html",
        form=form,
        pagination=pagination,
        query_args=query_args,
        is_finance=current_user.role_enum in FINANCE,
        today=today_paris(),
    )


@bp.route("/<int:invoice_id>")
@roles_required(*READERS)
def invoice_detail(invoice_id: int):
    return _render_detail(_invoice_or_404(invoice_id))


def _render_detail(invoice: Invoice, *, status: int = 200, line_form=None, payment_form=None):
    """Render an invoice page; a form sent back with errors keeps what the user typed."""
    is_finance = current_user.role_enum in FINANCE
    context = {"invoice": invoice, "is_finance": is_finance, "today": today_paris()}
    if is_finance and invoice.is_draft:
        context.update(
            draft_form=DraftForm(obj=invoice),
            line_form=line_form or FreeLineForm(formdata=None),
            blockers=services.issue_blockers(invoice),
        )
    if is_finance and invoice.is_draft and invoice.is_credit_note:
        context["refund_after_issue"] = credit_notes.refund_after_issue(invoice)
    if is_finance and not invoice.is_draft and not invoice.is_credit_note:
        context["payment_form"] = payment_form or PaymentForm(
            formdata=None, paid_on=today_paris(), form_token=secrets.token_urlsafe(32)
        )
        context["cancel_payment_form"] = CancelPaymentForm(formdata=None)
    return render_template("invoicing/detail.html", **context), status


def _document_response(data: bytes | None, mimetype: str, filename: str) -> Response:
    if data is None:
        abort(404)
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/<int:invoice_id>/pdf")
@roles_required(*READERS)
def download_pdf(invoice_id: int):
    invoice = _invoice_or_404(invoice_id)
    return _document_response(invoice.pdf_data, "application/pdf", document_filename(invoice, "pdf"))


@bp.route("/<int:invoice_id>/xml")
@roles_required(*READERS)
def download_xml(invoice_id: int):
    invoice = _invoice_or_404(invoice_id)
    return _document_response(invoice.xml_data, "application/xml", document_filename(invoice, "xml"))


# --- Drafts -------------------------------------------------------------------------------


@bp.route("/to-invoice")
@roles_required(*FINANCE)
def to_invoice():
    form = CreateDraftsForm(request.args, meta={"csrf": False})
    start = form.period_start.data if not form.period_start.errors else None
    end = form.period_end.data if not form.period_end.errors else None
    candidates = services.invoiceable_orders(period_start=start, period_end=end)
    return render_template("invoicing/to_invoice.html", form=CreateDraftsForm(formdata=None, period_start=start, period_end=end), candidates=candidates)


@bp.route("/drafts", methods=["POST"])
@roles_required(*FINANCE)
def create_drafts():
    form = CreateDraftsForm()
    order_ids = [int(value) for value in request.form.getlist("order_id") if value.isdigit()]
    if not form.validate() or not order_ids:
        flash(_("Choose at least one order and a grouping."), "error")
        return redirect(url_for("invoicing.to_invoice"))
    orders = list(db.session.scalars(select(Order).where(Order.id.in_(order_ids)).order_by(Order.id)))
    try:
        drafts = services.create_invoice_drafts(
            orders,
            grouping=form.grouping.data,
            actor=current_user,
            period_start=form.period_start.data,
            period_end=form.period_end.data,
        )
    except DomainError as error:
        db.session.rollback()
        _flash_error(error)
        return redirect(url_for("invoicing.to_invoice"))
    db.session.commit()
    flash(ngettext("%(num)d draft invoice created: check it, then issue it.",
                   "%(num)d draft invoices created: check them, then issue them.", len(drafts)), "success")
    if len(drafts) == 1:
        return redirect(url_for("invoicing.invoice_detail", invoice_id=drafts[0].id))
    return redirect(url_for("invoicing.list_invoices", status="draft"))


@bp.route("/<int:invoice_id>/edit", methods=["POST"])
@roles_required(*FINANCE)
def edit_draft(invoice_id: int):
    invoice = _draft_or_404(invoice_id)
    form = DraftForm()
    if not form.validate():
        _flash_form_errors(form)
        return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice.id))
    return _apply_to_draft(
        invoice_id,
        lambda: services.update_draft(
            invoice,
            subject=form.subject.data or "",
            note=form.note.data or "",
            service_code=form.service_code.data or "",
            engagement_number=form.engagement_number.data or "",
            contract_reference=form.contract_reference.data or "",
            period_start=form.period_start.data,
            period_end=form.period_end.data,
        ),
        _("Draft saved."),
    )


@bp.route("/<int:invoice_id>/lines", methods=["POST"])
@roles_required(*FINANCE)
def add_line(invoice_id: int):
    invoice = _draft_or_404(invoice_id)
    form = FreeLineForm()
    if not form.validate():
        return _render_detail(invoice, status=400, line_form=form)
    return _apply_to_draft(
        invoice_id,
        lambda: services.add_free_line(
            invoice,
            name=form.name.data,
            quantity=form.quantity.data,
            unit_price=form.unit_price.data,
            vat_category=form.vat_category.data,
            vat_rate=form.vat_rate.data or 0,
            vat_exemption_reason=form.vat_exemption_reason.data or "",
        ),
        _("Line added."),
    )


@bp.route("/<int:invoice_id>/lines/<int:line_id>", methods=["POST"])
@roles_required(*FINANCE)
def change_line(invoice_id: int, line_id: int):
    invoice = _draft_or_404(invoice_id)
    form = LineChangeForm()
    if not form.validate():
        _flash_form_errors(form)
        return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice.id))
    return _apply_to_draft(
        invoice_id,
        lambda: services.change_draft_line(invoice, line_id, quantity=form.quantity.data, unit_price=form.unit_price.data),
        _("Line changed."),
    )


@bp.route("/<int:invoice_id>/lines/<int:line_id>/remove", methods=["POST"])
@roles_required(*FINANCE)
def remove_line(invoice_id: int, line_id: int):
    invoice = _draft_or_404(invoice_id)
    return _apply_to_draft(
        invoice_id,
        lambda: services.remove_draft_line(invoice, line_id),
        _("Line removed."),
    )


@bp.route("/<int:invoice_id>/delete", methods=["POST"])
@roles_required(*FINANCE)
def delete_draft(invoice_id: int):
    invoice = _draft_or_404(invoice_id)
    services.delete_draft(invoice)
    db.session.commit()
    flash(_("Draft deleted: its order lines can be invoiced again."), "success")
    return redirect(url_for("invoicing.list_invoices"))


@bp.route("/<int:invoice_id>/issue", methods=["POST"])
@roles_required(*FINANCE)
def issue(invoice_id: int):
    invoice = _invoice_or_404(invoice_id)
    if not invoice.is_draft:
        # A second click or the back button gets a message that the document is issued, not a 404.
        if invoice.is_credit_note:
            flash(_("This credit note is already issued (%(number)s).", number=invoice.display_number), "error")
        else:
            flash(_("This invoice is already issued (%(number)s).", number=invoice.display_number), "error")
        return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice_id), code=303)
    try:
        services.issue_invoice(invoice, current_user, accept_refund=request.form.get("accept_refund") == "y")
    except DomainError as error:
        db.session.rollback()
        _flash_error(error)
        return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice_id))
    except EInvoiceInvalid as error:
        db.session.rollback()
        logger.error("Invoice %s not issued, invalid XML: %s", invoice_id, error.errors)
        flash(
            _("The Factur-X XML failed validation, so nothing was issued: %(errors)s", errors="; ".join(error.errors[:5])),
            "error",
        )
        return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice_id))
    db.session.commit()
    flash(_("%(number)s issued.", number=invoice.number), "success")
    return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice_id))


@bp.route("/<int:invoice_id>/cap", methods=["POST"])
@roles_required(*FINANCE)
def cap_credit_note(invoice_id: int):
    credit_note = _draft_or_404(invoice_id)
    try:
        gross = credit_notes.cap_to_open_balance(credit_note)
    except DomainError as error:
        db.session.rollback()
        _flash_error(error)
        return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice_id), code=303)
    db.session.commit()
    flash(_("Credit note lowered to the open balance: %(amount)s.", amount=format_money(gross)), "success")
    return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice_id), code=303)


@bp.route("/<int:invoice_id>/credit-note", methods=["POST"])
@roles_required(*FINANCE)
def create_credit_note(invoice_id: int):
    invoice = _invoice_or_404(invoice_id)
    try:
        credit_note = services.create_credit_note(invoice, current_user)
    except DomainError as error:
        db.session.rollback()
        _flash_error(error)
        return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice_id))
    db.session.commit()
    flash(_("Draft credit note created: lower or remove lines to credit part of the invoice, then issue it."), "success")
    return redirect(url_for("invoicing.invoice_detail", invoice_id=credit_note.id))


# --- Campaign settlements -----------------------------------------------------------------


@bp.route("/settlements")
@roles_required(*FINANCE)
def settlements_to_invoice():
    campaigns = settlements.closed_campaigns()
    campaign_id = request.args.get("campaign_id", type=int)
    campaign = next((item for item in campaigns if item.id == campaign_id), campaigns[0] if campaigns else None)
    overview = settlements.campaign_settlement_overview(campaign) if campaign else []
    return render_template(
        "invoicing/settlements.html", campaigns=campaigns, campaign=campaign, overview=overview
    )


@bp.route("/settlements/<int:campaign_id>/members/<int:member_id>", methods=["POST"])
@roles_required(*FINANCE)
def invoice_settlements(campaign_id: int, member_id: int):
    campaign = db.session.get(Campaign, campaign_id)
    member = db.session.get(Member, member_id)
    if campaign is None or member is None:
        abort(404)
    back = url_for("invoicing.settlements_to_invoice", campaign_id=campaign_id)
    try:
        documents = settlements.invoice_member_settlements(campaign, member, current_user)
    except DomainError as error:
        db.session.rollback()
        _flash_error(error)
        return redirect(back)
    except EInvoiceInvalid as error:
        db.session.rollback()
        logger.error("Settlements of member %s not invoiced, invalid XML: %s", member_id, error.errors)
        flash(
            _("The Factur-X XML failed validation, so nothing was issued: %(errors)s", errors="; ".join(error.errors[:5])),
            "error",
        )
        return redirect(back)
    db.session.commit()
    flash(
        _(
            "%(member)s: %(numbers)s issued.",
            member=member.name,
            numbers=", ".join(document.number for document in documents),
        ),
        "success",
    )
    return redirect(back)


# --- Payments -----------------------------------------------------------------------------


@bp.route("/<int:invoice_id>/payments", methods=["POST"])
@roles_required(*FINANCE)
def record_payment(invoice_id: int):
    invoice = _invoice_or_404(invoice_id)
    form = PaymentForm()
    if not form.validate():
        return _render_detail(invoice, status=400, payment_form=form)
    try:
        submission = payments.record_payment_once(
            invoice,
            form.form_token.data,
            paid_on=form.paid_on.data,
            amount=form.amount.data,
            reference=form.reference.data or "",
            actor=current_user,
        )
    except DomainError as error:
        db.session.rollback()
        if error.field in ("amount", "paid_on"):
            form[error.field].errors = [str(error)]
            return _render_detail(invoice, status=400, payment_form=form)
        _flash_error(error)
        return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice_id))
    db.session.commit()
    if submission.replayed:
        flash(_("This payment was already recorded: the form was sent twice, so nothing was added."), "info")
    else:
        flash(_("Payment recorded."), "success")
    return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice_id), code=303)


@bp.route("/<int:invoice_id>/payments/<int:payment_id>/cancel", methods=["POST"])
@roles_required(*FINANCE)
def cancel_payment(invoice_id: int, payment_id: int):
    invoice = _invoice_or_404(invoice_id)
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.invoice_id != invoice.id:
        abort(404)
    form = CancelPaymentForm()
    if not form.validate():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice_id), code=303)
    try:
        payments.cancel_payment(payment, current_user, form.reason.data)
    except DomainError as error:
        db.session.rollback()
        _flash_error(error)
        return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice_id), code=303)
    db.session.commit()
    flash(_("Payment cancelled: the balance of %(number)s is %(balance)s.", number=invoice.number,
            balance=format_money(invoice.balance)), "success")
    return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice_id), code=303)


@bp.route("/payments/import", methods=["GET", "POST"])
@roles_required(*FINANCE)
def import_payments():
    form = PaymentImportForm()
    if form.validate_on_submit():
        content = form.file.data.read()
        parsed = payments.parse_payment_csv(content)
        confirm_form = PaymentImportConfirmForm(content=base64.b64encode(content).decode("ascii"))
        return render_template("invoicing/payment_import.html", form=form, parsed=parsed, confirm_form=confirm_form)
    return render_template("invoicing/payment_import.html", form=form, parsed=None)


@bp.route("/payments/import/confirm", methods=["POST"])
@roles_required(*FINANCE)
def confirm_payment_import():
    form = PaymentImportConfirmForm()
    try:
        content = base64.b64decode(form.content.data or "", validate=True)
    except (binascii.Error, ValueError):
        flash(_("The previewed file was lost: upload it again."), "error")
        return redirect(url_for("invoicing.import_payments"))
    parsed = payments.parse_payment_csv(content)
    try:
        recorded = payments.import_payments(parsed, current_user)
    except DomainError as error:
        db.session.rollback()
        _flash_error(error)
        return render_template(
            "invoicing/payment_import.html", form=PaymentImportForm(), parsed=parsed, confirm_form=form
        )
    db.session.commit()
    flash(_("%(count)s payments recorded.", count=len(recorded)), "success")
    return redirect(url_for("invoicing.list_invoices"))


@bp.route("/overdue")
@roles_required(*FINANCE)
def overdue():
    today = today_paris()
    return render_template(
        "invoicing/overdue.html",
        invoices=payments.overdue_invoices(today),
        refunds=payments.invoices_with_refund_due(),
        today=today,
    )


# --- Exports ------------------------------------------------------------------------------


@bp.route("/exports")
@roles_required(*FINANCE)
def export():
    form = ExportForm(request.args)
    if not request.args:
        return render_template("invoicing/exports.html", form=ExportForm(formdata=None))
    if not form.validate():
        return render_template("invoicing/exports.html", form=form), 400
    if form.date_to.data < form.date_from.data:
        form.date_to.errors.append(_("The last day is before the first day."))
        return render_template("invoicing/exports.html", form=form), 400
    statuses = [form.status.data] if form.status.data else None
    documents = services.issued_documents(form.date_from.data, form.date_to.data, statuses)
    try:
        data, mimetype, extension = exports.export(documents, form.export_format.data)
    except DomainError as error:
        _flash_error(error)
        return render_template("invoicing/exports.html", form=form), 400
    filename = exports.export_filename(form.export_format.data, form.date_from.data, form.date_to.data, extension)
    logger.info("Export %s of %s documents by user %s", form.export_format.data, len(documents), current_user.id)
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
