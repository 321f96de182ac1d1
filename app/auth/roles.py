"""Roles and the checks every route makes on the user's role and member."""

from __future__ import annotations

import enum
from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user


class Role(str, enum.Enum):
    """A user's role: two on the member side, three on the centrale side."""

    BUYER = "buyer"
    APPROVER = "approver"
    CATALOG_MANAGER = "catalog_manager"
    FINANCE = "finance"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def is_member_side(self) -> bool:
        return self in MEMBER_ROLES


ROLE_LABELS = {
    Role.BUYER: _l("Buyer"),
    Role.APPROVER: _l("Approver"),
    Role.CATALOG_MANAGER: _l("Catalogue manager"),
    Role.FINANCE: _l("Finance"),
    Role.ADMIN: _l("Administrator"),
}

MEMBER_ROLES = frozenset({Role.BUYER, Role.APPROVER})
CENTRALE_ROLES = frozenset({Role.CATALOG_MANAGER, Role.FINANCE, Role.ADMIN})


def roles_required(*roles: Role):
    """Reject with 403 a user whose role is not one of ``roles`` (401 flow if anonymous)."""
    allowed = {Role(role) for role in roles}

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                from app.extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator
