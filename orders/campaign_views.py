"""Campaign screens: the list, creation, shared costs and the closing batch."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("campaigns", __name__, url_prefix="/campagnes")
