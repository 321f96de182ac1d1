"""Texts that the application writes into records, always in French.

Order line names, order event reasons and invoice subjects, lines and notes are printed on
French purchase orders, invoices and Chorus Pro XML, so they must not depend on the interface
language of the user whose action created them.
"""

from __future__ import annotations

from flask_babel import force_locale

STORED_TEXT_LOCALE = "fr"


def stored_text(message) -> str:
    """Render a lazy message (``lazy_gettext``) in French, for storing in a record."""
    with force_locale(STORED_TEXT_LOCALE):
        return str(message)
