"""`flask campaigns close NAME`: the closing batch from the command line."""

from __future__ import annotations

import logging

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.errors import DomainError
from app.extensions import db

from .campaigns import close_campaign, get_campaign_by_name

logger = logging.getLogger(__name__)

campaigns_cli = AppGroup("campaigns", help="Campaigns of pooled products.")


@campaigns_cli.command("close")
@click.argument("name")
def close_command(name: str) -> None:
    """Close campaign NAME: final prices and settlements, computed once."""
    try:
        result = close_campaign(get_campaign_by_name(name))
    except DomainError as error:
        db.session.rollback()
        logger.warning("Closing campaign %s failed: %s", name, error)
        raise click.ClickException(str(error)) from error
    db.session.commit()
    if result.closed:
        click.echo(
            _(
                "Campaign %(name)s closed: %(count)s settlements recorded.",
                name=result.campaign.name,
                count=len(result.settlements),
            )
        )
    else:
        click.echo(_("Campaign %(name)s was already closed: nothing changed.", name=result.campaign.name))


COMMANDS = [campaigns_cli]
