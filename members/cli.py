"""`flask members ...` commands: the annuaire and SIRET imports."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.extensions import db

from .imports import ImportRefused, ImportReport, import_annuaire, import_sirets

logger = logging.getLogger(__name__)

members_cli = AppGroup("members", help="Manage members and schools.")


def _run_import(importer, path: Path, dry_run: bool) -> ImportReport:
    """Run an import on a file, print each message and the summary, then commit or roll back."""
    try:
        report = importer(path.read_bytes(), dry_run=dry_run)
    except ImportRefused as error:
        db.session.rollback()
        logger.warning("Import of %s rejected: %s", path, error)
        raise click.ClickException(_("%(file)s rejected: %(reason)s", file=path.name, reason=error)) from error
    for message in report.messages:
        click.echo(str(message))
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    click.echo(report.summary())
    return report


@members_cli.command("import-annuaire")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and print the report without saving anything.")
def import_annuaire_command(path: Path, dry_run: bool) -> None:
    """Create or update members and schools from an annuaire CSV of the Éducation nationale."""
    _run_import(import_annuaire, path, dry_run)


@members_cli.command("import-sirets")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and print the report without saving anything.")
def import_sirets_command(path: Path, dry_run: bool) -> None:
    """Complete members' billing SIRETs from a CSV with siren and siret columns."""
    _run_import(import_sirets, path, dry_run)


COMMANDS = [members_cli]
