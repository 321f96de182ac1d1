"""Gap-free document numbers: sequential, per series and year, and given back on rollback."""

import threading
import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.numbering import DocumentCounter, next_number

CONCURRENT_THREADS = 20


def test_numbers_follow_each_other():
    numbers = [next_number("BC", 2026) for _ in range(3)]

    assert numbers == ["BC-2026-00001", "BC-2026-00002", "BC-2026-00003"]


def test_series_and_years_are_independent():
    assert next_number("BC", 2026) == "BC-2026-00001"
    assert next_number("FA", 2026) == "FA-2026-00001"
    assert next_number("BC", 2027) == "BC-2027-00001"
    assert next_number("BC", 2026) == "BC-2026-00002"


def test_counter_row_stores_last_value():
    next_number("AV", 2026)
    next_number("AV", 2026)

    counter = db.session.get(DocumentCounter, ("AV", 2026))
    assert counter.last_value == 2


@pytest.mark.committing
def test_failed_transaction_leaves_no_gap():
    assert next_number("BC", 2026) == "BC-2026-00001"
    db.session.commit()

    # This transaction takes the next number, then fails before it commits.
    assert next_number("BC", 2026) == "BC-2026-00002"
    db.session.rollback()

    assert next_number("BC", 2026) == "BC-2026-00002"
    db.session.commit()
    stored = db.session.scalar(
        select(DocumentCounter.last_value).where(DocumentCounter.series == "BC", DocumentCounter.year == 2026)
    )
    assert stored == 2


@pytest.mark.committing
@pytest.mark.postgresql_only
def test_concurrent_transactions_get_distinct_numbers(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite serialises writers on one database lock, so it cannot show "
            "row-lock queuing (set TEST_DATABASE_URL to a PostgreSQL database)"
        )
    numbers: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(CONCURRENT_THREADS)
    lock = threading.Lock()

    def take_number(index: int) -> None:
        try:
            with app.app_context():
                start.wait(timeout=30)
                number = next_number("BC", 2031)
                # Hold the row lock for a moment so that the other transactions queue behind it.
                time.sleep(0.01)
                if index % 5 == 0:
                    # Every fifth transaction fails after taking its number: the number goes back.
                    db.session.rollback()
                    return
                db.session.commit()
                with lock:
                    numbers.append(number)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread below
            errors.append(error)

    threads = [threading.Thread(target=take_number, args=(index,)) for index in range(CONCURRENT_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    committed = CONCURRENT_THREADS - len(range(0, CONCURRENT_THREADS, 5))
    assert sorted(numbers) == [f"BC-2031-{value:05d}" for value in range(1, committed + 1)]
