"""`flask users ...` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from app.errors import ValidationFailed
from app.extensions import db

from . import services
from .roles import Role

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.option("--email", required=True, help="Login e-mail of the new user.")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]), help="The user's role.")
@click.option("--member", "member_siren", help="SIREN of the member (required for buyer and approver).")
@click.option("--name", "full_name", default="", help="Full name shown in the interface.")
@click.password_option(help="Password (at least 12 characters); asked for when omitted.")
def create_user_command(email, role, member_siren, full_name, password):
    """Create a user account."""
    from members.models import Member

    member = None
    if member_siren:
        member = db.session.scalar(select(Member).where(Member.siren == member_siren.strip()))
        if member is None:
            raise click.ClickException(
                _("No member has SIREN %(siren)s: import it first or correct the SIREN.", siren=member_siren)
            )
    try:
        user = services.create_user(
            email=email, password=password, role=role, member=member, full_name=full_name
        )
    except ValidationFailed as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(_("User %(email)s created with role %(role)s.", email=user.email, role=Role(role).label))
