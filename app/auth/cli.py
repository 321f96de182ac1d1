"""`flask users ...` commands."""

from __future__ import annotations

import logging

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.errors import ValidationFailed
from app.extensions import db
from app.identifiers import validate_siren

from . import services
from .roles import Role

logger = logging.getLogger(__name__)

users_cli = AppGroup("users", help="Manage user accounts.")


def _find_member(member_siren: str | None):
    """Return the member whose SIREN is given (spaces allowed), None when none is given."""
    from members.models import Member

    if not member_siren:
        return None
    siren = validate_siren(member_siren)
    member = db.session.scalar(select(Member).where(Member.siren == siren))
    if member is None:
        raise click.ClickException(
            _("No member has SIREN %(siren)s: import it first or correct the SIREN.", siren=siren)
        )
    return member


@users_cli.command("create")
@click.option("--email", required=True, help="Login e-mail of the new user (at most 254 characters).")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]), help="The user's role.")
@click.option("--member", "member_siren", help="SIREN of the member (required for buyer and approver).")
@click.option("--name", "full_name", default="", help="Full name shown in the interface (at most 200 characters).")
@click.option("--password", help="Password (at least 12 characters); asked for after the other checks when omitted.")
def create_user_command(email, role, member_siren, full_name, password):
    """Create a user account."""
    # Every argument is checked before the password prompt, so a typo does not cost a retype.
    try:
        member = _find_member(member_siren)
        services.check_user_details(email=email, role=role, member=member, full_name=full_name)
    except ValidationFailed as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    if password is None:
        password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)

    try:
        user = services.create_user(email=email, password=password, role=role, member=member, full_name=full_name)
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    except SQLAlchemyError as error:
        db.session.rollback()
        # Only the error class: the statement parameters include the password hash.
        logger.error("User creation failed in the database: %s", type(error).__name__)
        raise click.ClickException(
            _("The account could not be saved in the database (%(error)s): nothing was created.",
              error=type(error).__name__)
        ) from None
    click.echo(_("User %(email)s created with role %(role)s.", email=user.email, role=Role(role).label))
