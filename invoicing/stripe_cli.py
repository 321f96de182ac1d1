"""Command line: `flask stripe reconcile` re-reads open Stripe payments, for operators."""

from __future__ import annotations

import logging
from datetime import timedelta

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.extensions import db

from . import stripe_service

logger = logging.getLogger(__name__)

stripe_cli = AppGroup("stripe", help="Online payment through Stripe.")


@stripe_cli.command("reconcile")
@click.option(
    "--delay",
    "delay_minutes",
    type=click.IntRange(min=0),
    default=int(stripe_service.RECONCILE_DELAY.total_seconds() // 60),
    show_default=True,
    help="Re-read only sessions and payment intents unchanged for at least this many minutes.",
)
def reconcile_command(delay_minutes: int) -> None:
    """Re-read open Checkout Sessions, payment intents and transfers from Stripe, and apply them."""
    if not stripe_service.is_enabled():
        raise click.ClickException(_("Stripe is not configured: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET."))
    result = stripe_service.reconcile(delay=timedelta(minutes=delay_minutes))
    db.session.commit()
    click.echo(
        _(
            "%(sessions)s sessions, %(intents)s payment intents and %(transfers)s transfers re-read, %(errors)s errors.",
            sessions=result.sessions,
            intents=result.intents,
            transfers=result.transfers,
            errors=result.errors,
        )
    )
    if result.errors:
        raise SystemExit(1)

