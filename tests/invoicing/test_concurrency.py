"""Twenty concurrent issuers on PostgreSQL: a contiguous FA series with no duplicate."""

import os
import threading
from datetime import date

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from invoicing import services
from invoicing.models import Invoice

ISSUERS = 20
FAILING = {3, 7, 11, 15, 19}  # these transactions fail after taking their number


class SimulatedFailure(RuntimeError):
    """Raised after issuing, before commit, to roll the transaction back."""


@pytest.mark.committing
@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="needs PostgreSQL: SQLite serialises every writer on one database lock, so it cannot "
    "show concurrent transactions queueing on the counter row",
)
def test_concurrent_issuers_contiguous_series(app, invoicing_data, finance_user):
    draft_ids = []
    for _index in range(ISSUERS):
        order = invoicing_data.approved_order()
        [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
        draft_ids.append(draft.id)
    actor_id = finance_user.id
    db.session.commit()
    db.session.remove()

    barrier = threading.Barrier(ISSUERS)
    errors = []

    def issue(index: int, invoice_id: int) -> None:
        with app.app_context():
            try:
                # Wait before touching the database: the pool has fewer connections than
                # issuers, so threads holding one at the barrier would starve the others.
                barrier.wait(timeout=30)
                actor = db.session.get(User, actor_id)
                invoice = db.session.get(Invoice, invoice_id)
                services.issue_invoice(invoice, actor, issue_date=date(2026, 5, 4))
                if index in FAILING:
                    raise SimulatedFailure(invoice.number)
                db.session.commit()
            except SimulatedFailure:
                db.session.rollback()
            except Exception as error:  # collected so the main thread reports it
                db.session.rollback()
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(index, invoice_id)) for index, invoice_id in enumerate(draft_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert errors == []
    numbers = sorted(db.session.scalars(select(Invoice.number).where(Invoice.number.is_not(None))))
    expected = [f"FA-2026-{value:05d}" for value in range(1, ISSUERS - len(FAILING) + 1)]
    assert numbers == expected
    drafts_left = db.session.scalars(select(Invoice).where(Invoice.status == "draft")).all()
    assert len(drafts_left) == len(FAILING)
    assert all(invoice.number is None and invoice.pdf_data is None for invoice in drafts_left)
