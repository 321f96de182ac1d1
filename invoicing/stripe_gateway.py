"""The adapter to Stripe: the only module that imports the ``stripe`` SDK or handles cents.

Every function reads the settings of the current application (STRIPE_SECRET_KEY,
STRIPE_WEBHOOK_SECRET, STRIPE_PAYMENT_METHODS, STRIPE_API_BASE) and returns Stripe's objects
as plain dicts, with amounts still in cents: callers turn them into euros with
``amount_from_cents``. Nothing here runs unless ``is_configured()`` is true.
"""

from __future__ import annotations

import logging
import threading
from decimal import Decimal

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.errors import DomainError
from app.money import round_amount, to_cents

logger = logging.getLogger(__name__)

CURRENCY = "eur"
# The SDK retries a failed network call with the same idempotency key, so a retry never charges twice.
MAX_NETWORK_RETRIES = 2
# Webhook signatures older than this many seconds are rejected (Stripe's default tolerance).
SIGNATURE_TOLERANCE_SECONDS = stripe.Webhook.DEFAULT_TOLERANCE

_clients: dict[tuple[str, str | None], stripe.StripeClient] = {}
_clients_lock = threading.Lock()


class StripeUnavailable(DomainError):
    """Stripe could not be reached or rejected the request; the message is for the user."""


class WebhookRejected(Exception):
    """A webhook body whose signature is missing, forged or stale, or which is not JSON."""


def is_configured() -> bool:
    """Return whether online payment is on: a secret key and a webhook secret are set."""
    config = current_app.config
    return bool(config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_WEBHOOK_SECRET"))


def payment_methods() -> tuple[str, ...]:
    return tuple(current_app.config.get("STRIPE_PAYMENT_METHODS") or ("card", "sepa_debit"))


def _client() -> stripe.StripeClient:
    if not is_configured():
        raise RuntimeError("Stripe is not configured: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET")
    api_key = current_app.config["STRIPE_SECRET_KEY"]
    api_base = current_app.config.get("STRIPE_API_BASE")
    with _clients_lock:
        client = _clients.get((api_key, api_base))
        if client is None:
            client = stripe.StripeClient(
                api_key,
                base_addresses={"api": api_base} if api_base else None,
                max_network_retries=MAX_NETWORK_RETRIES,
            )
            _clients[(api_key, api_base)] = client
    return client


def to_stripe_amount(amount: Decimal) -> int:
    """Convert euros to Stripe's integer cents."""
    return to_cents(amount)


def amount_from_cents(cents: int | None) -> Decimal:
    """Convert Stripe's integer cents to euros."""
    return round_amount(Decimal(cents or 0) / 100)


def _as_dict(stripe_object) -> dict:
    return stripe_object.to_dict() if hasattr(stripe_object, "to_dict") else dict(stripe_object)


def _call(description: str, request):
    """Run one SDK call; raise StripeUnavailable (logged) when Stripe fails or cannot be reached."""
    try:
        return _as_dict(request())
    except stripe.StripeError as error:
        logger.error("Stripe call %s failed: %s (%s)", description, error.user_message or error, type(error).__name__)
        raise StripeUnavailable(
            _l("Online payment is unavailable right now: try again in a few minutes, or pay by transfer.")
        ) from error


def checkout_idempotency_key(invoice_id: int, amount: Decimal, attempt: int = 0) -> str:
    """Derive the idempotency key of a Checkout Session from the invoice and the amount due.

    A double click or a retry sends the same key, so Stripe returns the session it already
    created. ``attempt`` counts the sessions of this amount that expired before: Stripe keeps a
    key for 24 hours, so reusing it would return the expired session.
    """
    key = f"checkout-{invoice_id}-{to_stripe_amount(amount)}"
    return key if attempt == 0 else f"{key}-{attempt}"


def create_checkout_session(
    *,
    invoice_id: int,
    invoice_number: str,
    member_id: int,
    amount: Decimal,
    product_name: str,
    success_url: str,
    cancel_url: str,
    idempotency_key: str,
    customer_id: str | None = None,
) -> dict:
    """Open a Checkout Session in payment mode for ``amount`` euros; return Stripe's session."""
    metadata = {"invoice_id": str(invoice_id), "invoice_number": invoice_number, "member_id": str(member_id)}
    methods = payment_methods()
    params: dict = {
        "mode": "payment",
        "payment_method_types": list(methods),
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": CURRENCY,
                    "unit_amount": to_stripe_amount(amount),
                    "product_data": {"name": product_name},
                },
            }
        ],
        "client_reference_id": invoice_number,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata, "description": product_name},
        "success_url": success_url,
        "cancel_url": cancel_url,
        "locale": "fr",
    }
    if customer_id:
        params["customer"] = customer_id
    if "customer_balance" in methods:
        # Bank transfer inside Checkout needs a customer and the EU bank transfer options.
        params["payment_method_options"] = {
            "customer_balance": {
                "funding_type": "bank_transfer",
                "bank_transfer": {"type": "eu_bank_transfer", "eu_bank_transfer": {"country": "FR"}},
            }
        }
    logger.info("Creating a Checkout Session for invoice %s (%s cents, key %s)", invoice_id, to_stripe_amount(amount), idempotency_key)
    return _call(
        "checkout.sessions.create",
        lambda: _client().v1.checkout.sessions.create(params, {"idempotency_key": idempotency_key}),
    )


def retrieve_checkout_session(session_id: str) -> dict:
    return _call("checkout.sessions.retrieve", lambda: _client().v1.checkout.sessions.retrieve(session_id))


def retrieve_payment_intent(payment_intent_id: str) -> dict:
    return _call(
        "payment_intents.retrieve",
        lambda: _client().v1.payment_intents.retrieve(payment_intent_id, {"expand": ["latest_charge"]}),
    )


def create_customer(*, member_id: int, name: str, email: str) -> dict:
    """Create the member's Stripe customer; the idempotency key makes a retry return the same one."""
    params = {"name": name, "metadata": {"member_id": str(member_id)}}
    if email:
        params["email"] = email
    return _call(
        "customers.create",
        lambda: _client().v1.customers.create(params, {"idempotency_key": f"customer-member-{member_id}"}),
    )


def virtual_iban(customer_id: str) -> dict:
    """Return the customer's EU bank transfer address: {"iban", "bic", "account_holder_name"}.

    Stripe creates the funding instructions on the first call and returns the same ones after.
    """
    params = {
        "currency": CURRENCY,
        "funding_type": "bank_transfer",
        "bank_transfer": {"type": "eu_bank_transfer", "eu_bank_transfer": {"country": "FR"}},
    }
    instructions = _call(
        "customers.funding_instructions.create",
        lambda: _client().v1.customers.funding_instructions.create(customer_id, params),
    )
    for address in instructions.get("bank_transfer", {}).get("financial_addresses", []):
        if address.get("type") == "iban":
            iban = address["iban"]
            return {
                "iban": iban.get("iban", ""),
                "bic": iban.get("bic", ""),
                "account_holder_name": iban.get("account_holder_name", ""),
            }
    logger.error("Funding instructions of customer %s contain no IBAN", customer_id)
    raise StripeUnavailable(_l("Stripe returned no IBAN for this member: ask the centrale's finance team."))


def list_cash_balance_transactions(customer_id: str, limit: int = 100) -> list[dict]:
    """Return the customer's most recent cash balance transactions, newest first."""
    page = _call(
        "customers.cash_balance_transactions.list",
        lambda: _client().v1.customers.cash_balance_transactions.list(customer_id, {"limit": limit}),
    )
    return list(page.get("data", []))


def verify_webhook(payload: bytes, signature_header: str | None) -> dict:
    """Check the Stripe-Signature header against the raw body; return the event as a dict.

    Raises WebhookRejected when the signature is missing, does not match the webhook secret, is
    older than SIGNATURE_TOLERANCE_SECONDS, or when the body is not a JSON event.
    """
    try:
        event = stripe.Webhook.construct_event(
            payload,
            signature_header,
            current_app.config["STRIPE_WEBHOOK_SECRET"],
            tolerance=SIGNATURE_TOLERANCE_SECONDS,
        )
    except stripe.SignatureVerificationError as error:
        raise WebhookRejected(f"invalid signature: {error.user_message or error}") from error
    except (ValueError, UnicodeDecodeError) as error:
        raise WebhookRejected(f"body is not a JSON event: {error}") from error
    return _as_dict(event)
