"""Command line: `flask invoicing export` writes the finance exports of a period to a file."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from app.errors import DomainError

from . import exports, services
from .stripe_cli import stripe_cli

logger = logging.getLogger(__name__)

invoicing_cli = AppGroup("invoicing", help="Invoices, credit notes and finance exports.")


def _parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(
            _("%(value)s is not a date: write it as 2026-01-31.", value=repr(value)), param_hint=option
        ) from error


@invoicing_cli.command("export")
@click.option("--from", "date_from", required=True, help="First issue date, as 2026-01-01.")
@click.option("--to", "date_to", required=True, help="Last issue date, as 2026-12-31.")
@click.option(
    "--format",
    "export_format",
    type=click.Choice(exports.FORMATS),
    default="csv",
    show_default=True,
    help="csv or xlsx (one row per document), zip (the Factur-X PDFs) or titres (revenue orders per VAT rate).",
)
@click.option("--status", "statuses", multiple=True, help="Keep only these statuses (issued, partly_paid, paid, cancelled); repeatable.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
def export_command(date_from: str, date_to: str, export_format: str, statuses: tuple[str, ...], output: Path) -> None:
    """Export the issued invoices and credit notes of a period."""
    first = _parse_day(date_from, "--from")
    last = _parse_day(date_to, "--to")
    if last < first:
        raise click.BadParameter(_("The last day is before the first day: give a --to date on or after --from."),
                                 param_hint="--to")
    try:
        documents = services.issued_documents(first, last, list(statuses) or None)
        data, _mimetype, _extension = exports.export(documents, export_format)
    except (DomainError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    output.write_bytes(data)
    logger.info("Export %s of %s documents written to %s", export_format, len(documents), output)
    click.echo(ngettext("%(num)d document exported to %(path)s.", "%(num)d documents exported to %(path)s.",
                        len(documents), path=str(output)))


COMMANDS = [invoicing_cli, stripe_cli]
