"""`flask demo load` and `flask demo accounts`: the demonstration data and its accounts."""

from __future__ import annotations

import importlib
import logging

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.extensions import db
from orders.campaign_demo import load_demo_campaigns

from .finance import load_demo_finance
from .loader import DEMO_ACCOUNTS, load_demo

logger = logging.getLogger(__name__)

demo_cli = AppGroup("demo", help="Load and show the demonstration data.")

LOGIN_URL = "http://127.0.0.1:5000/login"


def _load_example_catalogue() -> None:
    """Call the catalogue domain's example loader, or log a warning while it does not exist yet."""
    try:
        catalog_demo = importlib.import_module("catalog.demo")
    except ModuleNotFoundError as error:
        if error.name != "catalog.demo":
            raise
        logger.warning("catalog.demo is missing: the example catalogue is not loaded")
        click.echo(_("The example catalogue is not available yet: it was not loaded."))
        return
    catalog_demo.load_example_catalogue()
    click.echo(_("Example catalogue loaded."))


@demo_cli.command("load")
def load_command() -> None:
    """Load the demo members, schools, SIRETs, example catalogue and accounts (safe to rerun)."""
    report = load_demo(current_app.config["CENTRALE_DEMO_PASSWORD"])
    db.session.commit()
    for warning in report.warnings:
        click.echo(warning)
    click.echo(
        _(
            "Members: %(members_created)s created, %(members_completed)s completed. "
            "Schools: %(schools_created)s created, %(schools_completed)s completed "
            "(%(private)s private schools left out). Billing SIRETs: %(sirets)s added. "
            "Accounts: %(accounts)s created.",
            members_created=report.members_created,
            members_completed=report.members_completed,
            schools_created=report.schools_created,
            schools_completed=report.schools_completed,
            private=report.skipped_private_schools,
            sirets=report.sirets.members_updated,
            accounts=report.accounts_created,
        )
    )
    _load_example_catalogue()
    db.session.commit()

    # A closed and an open campaign, so that the reports have content; needs the catalogue above.
    # The closed one is closed by load_demo_finance, after its orders are invoiced.
    load_demo_campaigns(close=False)
    finance = load_demo_finance()
    db.session.commit()
    click.echo(
        _(
            "Finance: %(invoices)s invoices, %(documents)s settlement credit notes or complementary "
            "invoices and %(payments)s payments recorded.",
            invoices=finance.invoices,
            documents=finance.settlement_documents,
            payments=finance.payments,
        )
    )


@demo_cli.command("accounts")
def accounts_command() -> None:
    """Print the login address, the demo accounts with their roles, and their password."""
    click.echo(_("Open %(url)s and log in with one of these accounts:", url=LOGIN_URL))
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account.email:<32} {account.role.label}")
    click.echo(_("Password of every demo account: %(password)s", password=current_app.config["CENTRALE_DEMO_PASSWORD"]))


COMMANDS = [demo_cli]
