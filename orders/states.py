"""The order lifecycle: statuses and the table of allowed transitions."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class OrderStatus(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


ORDER_STATUS_LABELS = {
    OrderStatus.DRAFT: _l("Draft"),
    OrderStatus.SUBMITTED: _l("Awaiting approval"),
    OrderStatus.APPROVED: _l("Approved"),
    OrderStatus.REJECTED: _l("Rejected"),
    OrderStatus.CANCELLED: _l("Cancelled"),
}

# Allowed moves. A rejected order can go back to draft so the buyer can correct and resubmit
# it; it keeps its number, so the series stays gap-free.
ALLOWED_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.DRAFT: frozenset({OrderStatus.SUBMITTED, OrderStatus.CANCELLED}),
    OrderStatus.SUBMITTED: frozenset({OrderStatus.APPROVED, OrderStatus.REJECTED, OrderStatus.CANCELLED}),
    OrderStatus.REJECTED: frozenset({OrderStatus.DRAFT, OrderStatus.CANCELLED}),
    OrderStatus.APPROVED: frozenset({OrderStatus.CANCELLED}),
    OrderStatus.CANCELLED: frozenset(),
}


def is_allowed(source: OrderStatus, target: OrderStatus) -> bool:
    return target in ALLOWED_TRANSITIONS[source]
