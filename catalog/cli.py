"""`flask catalog ...` commands: export and import the catalogue as CSV or XLSX."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from app.errors import ValidationFailed
from app.extensions import db
from app.timeutils import today_paris

from . import transfer

logger = logging.getLogger(__name__)

catalog_cli = AppGroup("catalog", help="Export and import the catalogue.")


@catalog_cli.command("export")
@click.option("--format", "file_format", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True,
              help="File format: CSV for French Excel (';', UTF-8 with BOM, decimal comma) or XLSX.")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Path of the file to write.")
def export_command(file_format: str, output: Path) -> None:
    """Write every product, archived ones included, with its price valid today."""
    rows = transfer.export_rows(today_paris())
    data = transfer.export_csv(rows) if file_format == "csv" else transfer.export_xlsx(rows)
    output.write_bytes(data)
    click.echo(ngettext("%(num)d product exported to %(path)s.", "%(num)d products exported to %(path)s.", len(rows),
                        path=output))


def echo_plan(plan: transfer.ImportPlan) -> None:
    """Print the import preview: counts, then one line per creation, update and rejection."""
    click.echo(_("To create: %(created)s · to update: %(updated)s · unchanged: %(unchanged)s · rejected: %(rejected)s",
                 created=len(plan.created), updated=len(plan.updated), unchanged=len(plan.unchanged),
                 rejected=len(plan.rejected)))
    for line in plan.created:
        click.echo(_("Line %(line)s: create %(reference)s", line=line.line, reference=line.reference))
    for line in plan.updated:
        click.echo(_("Line %(line)s: update %(reference)s (%(changes)s)", line=line.line, reference=line.reference,
                     changes="; ".join(line.changes)))
    for line in plan.rejected:
        click.echo(_("Line %(line)s: rejected %(reference)s: %(reasons)s", line=line.line,
                     reference=line.reference or "–", reasons=" ".join(line.errors)), err=True)


@catalog_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the preview and write nothing.")
def import_command(path: Path, dry_run: bool) -> None:
    """Import products from a CSV or XLSX file laid out like an export.

    Valid lines are written and rejected lines are listed; the exit status is 1 when any line
    was rejected.
    """
    today = today_paris()
    try:
        plan = transfer.plan_import(transfer.read_catalogue_file(path.read_bytes(), path.name), today)
    except ValidationFailed as error:
        raise click.ClickException(str(error)) from error
    echo_plan(plan)
    if dry_run:
        click.echo(_("Dry run: nothing was written."))
    else:
        created, updated = transfer.apply_import(plan, today=today, user_id=None)
        db.session.commit()
        click.echo(_("Import done. Products created: %(created)s; updated: %(updated)s; lines rejected and not imported: %(rejected)s.",
                     created=created, updated=updated, rejected=len(plan.rejected)))
    if plan.rejected:
        raise SystemExit(1)


COMMANDS = [catalog_cli]
