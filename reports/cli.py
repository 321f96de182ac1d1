"""`flask reports campaign|member`: the report downloads, written to a file."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from app.errors import DomainError
from app.extensions import db
from members.models import Member
from orders.campaigns import get_campaign_by_name

from .exports import EXPORT_FORMATS, export_campaign, export_member
from .services import campaign_report, member_report

logger = logging.getLogger(__name__)

reports_cli = AppGroup("reports", help="Pooled-cost reports as CSV, XLSX or PDF files.")

FORMAT_OPTION = click.option(
    "--format", "file_format", type=click.Choice(EXPORT_FORMATS), default="csv", show_default=True,
    help="File format: CSV for French Excel, XLSX workbook, or PDF.",
)
OUTPUT_OPTION = click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
    help="Path of the file to write; an existing file is replaced.",
)


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    click.echo(_("%(path)s written (%(size)s bytes).", path=str(path), size=len(data)))


@reports_cli.command("campaign")
@click.argument("name")
@FORMAT_OPTION
@OUTPUT_OPTION
def campaign_command(name: str, file_format: str, output: Path) -> None:
    """Write the centrale's report of campaign NAME."""
    try:
        campaign = get_campaign_by_name(name)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    logger.info("Exporting campaign %s report as %s to %s", campaign.id, file_format, output)
    _write(output, export_campaign(campaign_report(campaign), file_format))


@reports_cli.command("member")
@click.argument("siren")
@click.option("--campaign", "campaign_name", help="Name of the campaign; all orders when left out.")
@FORMAT_OPTION
@OUTPUT_OPTION
def member_command(siren: str, campaign_name: str | None, file_format: str, output: Path) -> None:
    """Write the report of the member with SIREN (the PDF is the savings annex)."""
    member = db.session.scalar(select(Member).where(Member.siren == siren.replace(" ", "")))
    if member is None:
        raise click.ClickException(_("No member has SIREN %(siren)s: check the 9 digits.", siren=siren))
    campaign = None
    if campaign_name:
        try:
            campaign = get_campaign_by_name(campaign_name)
        except DomainError as error:
            raise click.ClickException(str(error)) from error
    logger.info("Exporting member %s report as %s to %s", member.id, file_format, output)
    _write(output, export_member(member_report(member, campaign), file_format))


COMMANDS = [reports_cli]
