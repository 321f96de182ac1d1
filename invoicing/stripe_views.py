"""Online payment screens and Stripe's webhook: the pay button, the return pages, the virtual
IBAN, finance's follow-up page and the admin settings page."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.auth.roles import Role, roles_required
from app.errors import DomainError, NotFound
from app.extensions import csrf, db
from app.timeutils import utcnow

from . import services, stripe_gateway, stripe_service
from .models import Invoice
from .stripe_models import StripeCheckoutSession

logger = logging.getLogger(__name__)

bp = Blueprint("stripe_payments", __name__, url_prefix="/payments/stripe")

MEMBER_USERS = (Role.BUYER, Role.APPROVER)
FINANCE = (Role.FINANCE, Role.ADMIN)


def _member_invoice_or_404(invoice_id: int) -> Invoice:
    """Return an invoice of the current user's member; 404 for any other invoice."""
    try:
        return services.get_invoice_for_user(current_user, invoice_id)
    except NotFound:
        abort(404)


def _absolute_url(endpoint: str, **values) -> str:
    return current_app.config["PUBLIC_BASE_URL"] + url_for(endpoint, **values)


def stripe_panel(invoice: Invoice) -> dict:
    """Return what the invoice page's online payment section shows; empty while Stripe is off."""
    if not stripe_service.is_enabled() or invoice.is_draft or invoice.is_credit_note:
        return {"enabled": False}
    panel = {"enabled": True, "can_pay": stripe_service.can_pay_online(invoice)}
    if current_user.is_member_side:
        customer = stripe_service.virtual_iban_of(invoice.member_id)
        panel["customer"] = customer
        if customer is not None:
            panel["iban_display"] = " ".join(customer.iban[i : i + 4] for i in range(0, len(customer.iban), 4))
    else:
        panel["activity"] = stripe_service.invoice_activity(invoice.id)
    return panel


@bp.app_context_processor
def inject_stripe_panel() -> dict:
    return {"stripe_panel": stripe_panel}


@bp.route("/invoices/<int:invoice_id>/checkout", methods=["POST"])
@roles_required(*MEMBER_USERS)
def checkout(invoice_id: int):
    invoice = _member_invoice_or_404(invoice_id)
    if not stripe_service.is_enabled():
        abort(404)
    # Stripe replaces {CHECKOUT_SESSION_ID} in the success address; url_for would escape the braces.
    success_url = _absolute_url("stripe_payments.success", invoice_id=invoice.id) + "?session_id={CHECKOUT_SESSION_ID}"
    try:
        session = stripe_service.start_checkout(
            invoice,
            actor=current_user,
            success_url=success_url,
            cancel_url=_absolute_url("stripe_payments.cancel", invoice_id=invoice.id),
        )
    except DomainError as error:
        db.session.rollback()
        logger.info("Checkout for invoice %s by user %s not started: %s", invoice_id, current_user.id, error)
        flash(str(error), "error")
        return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice_id))
    db.session.commit()
    return redirect(session.url, code=303)


@bp.route("/invoices/<int:invoice_id>/success")
@roles_required(*MEMBER_USERS)
def success(invoice_id: int):
    invoice = _member_invoice_or_404(invoice_id)
    session_id = request.args.get("session_id", "")
    session = db.session.scalar(
        select(StripeCheckoutSession).where(
            StripeCheckoutSession.session_id == session_id, StripeCheckoutSession.invoice_id == invoice.id
        )
    )
    if session is not None and stripe_service.is_enabled():
        # The webhook may come later: read the session from Stripe now to show the right status.
        try:
            stripe_service.apply_checkout_session(
                stripe_gateway.retrieve_checkout_session(session.session_id), utcnow(), authoritative=True
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            logger.info("Checkout Session %s not re-read on return: %s", session_id, error)
    if session is not None and session.payment_status == "paid":
        flash(_("Thank you: your payment of %(number)s is recorded.", number=invoice.number), "success")
    else:
        flash(
            _("Thank you: your payment is being processed. The invoice shows it as paid once the bank confirms it."),
            "success",
        )
    return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice.id))


@bp.route("/invoices/<int:invoice_id>/cancel")
@roles_required(*MEMBER_USERS)
def cancel(invoice_id: int):
    invoice = _member_invoice_or_404(invoice_id)
    flash(_("Payment cancelled: nothing was charged. You can pay later, online or by transfer."), "info")
    return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice.id))


@bp.route("/invoices/<int:invoice_id>/virtual-iban", methods=["POST"])
@roles_required(*MEMBER_USERS)
def virtual_iban(invoice_id: int):
    invoice = _member_invoice_or_404(invoice_id)
    if not stripe_service.is_enabled():
        abort(404)
    try:
        stripe_service.ensure_virtual_iban(invoice.member)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice_id))
    db.session.commit()
    flash(_("Your transfer IBAN is shown below: transfers to it are matched to your invoices."), "success")
    return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice_id) + "#stripe-heading")


@bp.route("/webhook", methods=["POST"])
@csrf.exempt
def webhook():
    """Receive Stripe's events; the signature is checked on the raw body before anything else."""
    if not stripe_service.is_enabled():
        abort(404)
    payload = request.get_data(cache=False, as_text=False)
    try:
        event = stripe_gateway.verify_webhook(payload, request.headers.get("Stripe-Signature"))
    except stripe_gateway.WebhookRejected as error:
        logger.warning("Stripe webhook rejected from %s: %s", request.remote_addr, error)
        return {"error": "invalid signature"}, 400
    try:
        record = stripe_service.handle_event(event)
    except stripe_service.DuplicateEvent:
        db.session.rollback()
        logger.info("Stripe event %s already handled: duplicate ignored", event.get("id"))
        return {"received": True, "duplicate": True}, 200
    except DomainError as error:
        # A business rule refused the effect: nothing is kept, and the 500 makes Stripe
        # deliver the event again later (the reconciliation job re-reads it meanwhile).
        db.session.rollback()
        logger.error("Stripe event %s (%s) not applied: %s", event.get("id"), event.get("type"), error)
        return {"error": "event not applied"}, 500
    db.session.commit()
    return {"received": True, "outcome": record.outcome}, 200


@bp.route("")
@roles_required(*FINANCE)
def activity():
    return render_template(
        "invoicing/stripe_activity.html",
        overview=stripe_service.finance_overview(),
        enabled=stripe_service.is_enabled(),
    )


@bp.route("/settings")
@roles_required(Role.ADMIN)
def settings():
    config = current_app.config
    return render_template(
        "invoicing/stripe_settings.html",
        enabled=stripe_service.is_enabled(),
        has_secret_key=bool(config.get("STRIPE_SECRET_KEY")),
        has_webhook_secret=bool(config.get("STRIPE_WEBHOOK_SECRET")),
        payment_methods=stripe_gateway.payment_methods(),
        api_base=config.get("STRIPE_API_BASE"),
        webhook_url=_absolute_url("stripe_payments.webhook"),
    )
