"""Time the campaign and member reports on 1,000,000 order lines, against a bare GROUP BY.

The script builds its own databases (a SQLite file and the PostgreSQL database named in
--postgresql-url, dropped and recreated), migrates them, bulk-loads 370 members, 2,000 schools,
300 products and three school years of orders, closes the two older campaigns, then times each
query a few times after one warm-up run and prints the median. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.identifiers import uai_check_letter
from app.money import line_net_amount

logger = logging.getLogger("benchmark")

MEMBER_COUNT = 370
SCHOOL_COUNT = 2000
PRODUCT_COUNT = 300
POOLED_PRODUCT_COUNT = 100
LINES_PER_ORDER = 10
SCHOOL_YEARS = (2023, 2024, 2025)
CHUNK = 20_000
NOW = datetime(2026, 12, 4, 12, tzinfo=timezone.utc)


def luhn_complete(prefix: str) -> str:
    for digit in "0123456789":
        candidate = prefix + digit
        total = 0
        for index, char in enumerate(reversed(candidate)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def recreate_postgresql(url: str) -> None:
    """Drop and create the benchmark database through the server's maintenance database."""
    target = sa.engine.make_url(url)
    maintenance = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with maintenance.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    maintenance.dispose()


def insert(table_name: str, rows: list[dict]) -> None:
    table = db.metadata.tables[table_name]
    for start in range(0, len(rows), CHUNK):
        db.session.execute(table.insert(), rows[start : start + CHUNK])


def load(line_count: int, seed: int) -> dict:
    """Bulk-insert the data set and return the ids the timings need."""
    rng = random.Random(seed)
    started = time.perf_counter()
    insert("users", [{"id": 1, "email": "bench@centrale.test", "full_name": "Bench", "password_hash": "x",
                      "role": "admin", "is_active_account": True, "created_at": NOW}])
    insert("members", [
        {"id": number, "name": f"Commune {number}", "kind": "commune", "siren": luhn_complete(f"21{number:06d}"),
         "address_line1": "", "address_line2": "", "postcode": "50000", "city": "", "chorus_requirement": "none",
         "membership_status": "active", "finance_email": "", "created_at": NOW, "updated_at": NOW}
        for number in range(1, MEMBER_COUNT + 1)
    ])
    school_member = {}
    schools = []
    for number in range(1, SCHOOL_COUNT + 1):
        member_id = number if number <= MEMBER_COUNT else rng.randint(1, MEMBER_COUNT)
        school_member[number] = member_id
        digits = f"050{number:04d}"
        classes = rng.randint(2, 15)
        schools.append({
            "id": number, "uai": digits + uai_check_letter(digits), "name": f"École {number}", "kind": "primaire",
            "sector": "public", "postcode": "50000", "commune_insee": "50502", "commune_name": "",
            "pupils": classes * rng.randint(18, 27), "classes": classes, "counts_school_year": 2025,
            "is_open": True, "member_id": member_id, "created_at": NOW, "updated_at": NOW,
        })
    insert("schools", schools)
    insert("categories", [{"id": number, "code": f"c{number}", "name": f"Catégorie {number}", "position": number}
                          for number in range(1, 7)])
    insert("suppliers", [{"id": 1, "name": "Titulaire", "vat_number": "", "address": "", "contact_name": "",
                          "contact_email": "", "contact_phone": ""}])
    insert("contracts", [{"id": 1, "number": "2023-MN-001", "lot": "1", "title": "", "supplier_id": 1,
                          "start_date": date(2023, 1, 1), "end_date": date(2030, 12, 31), "sales_mode": "resale"}])
    prices, tiers, products = {}, [], []
    for number in range(1, PRODUCT_COUNT + 1):
        price = Decimal(rng.randint(200, 20000)) / 100
        prices[number] = price
        pooled = number <= POOLED_PRODUCT_COUNT
        tier_mode = "none"
        if pooled:
            tier_mode = "volume" if number % 2 else "graduated"
        products.append({
            "id": number, "reference": f"P{number:04d}", "name": f"Produit {number}", "description": "",
            "category_id": number % 6 + 1, "unit": "pupil" if pooled else "item", "vat_category": "S",
            "vat_rate": Decimal("20.00"), "vat_exemption_reason": "", "contract_id": 1, "is_subscription": pooled,
            "tier_mode": tier_mode, "status": "active",
            "is_example": False, "image_mime": "", "created_at": NOW, "updated_at": NOW,
        })
        if pooled:
            for from_quantity, factor in ((1, "1"), (500, "0.9"), (2000, "0.8"), (8000, "0.7")):
                tiers.append({"product_id": number, "from_quantity": from_quantity,
                              "unit_price": (price * Decimal(factor)).quantize(Decimal("0.0001"))})
    insert("products", products)
    insert("product_prices", [{"product_id": number, "unit_price": price, "valid_from": date(2023, 1, 1),
                               "created_at": NOW} for number, price in prices.items()])
    insert("price_tiers", tiers)

    campaigns, campaign_products = [], []
    for index, year in enumerate(SCHOOL_YEARS, start=1):
        campaigns.append({"id": index, "name": f"ENT {year}-{year + 1}", "school_year": year,
                          "opens_on": date(year, 3, 1), "closes_on": date(year, 6, 30), "status": "open",
                          "created_at": NOW})
        for number in range(1, POOLED_PRODUCT_COUNT + 1):
            campaign_products.append({"campaign_id": index, "product_id": number, "list_unit_price": prices[number]})
    insert("campaigns", campaigns)
    insert("campaign_products", campaign_products)

    order_count = line_count // LINES_PER_ORDER
    orders, links, lines = [], [], []
    line_id = 0
    for order_id in range(1, order_count + 1):
        school_id = rng.randint(1, SCHOOL_COUNT)
        campaign_id = rng.randint(1, len(SCHOOL_YEARS))
        year = SCHOOL_YEARS[campaign_id - 1]
        submitted_at = datetime(year, 3, 1, 9, tzinfo=timezone.utc) + timedelta(minutes=rng.randint(0, 170_000))
        orders.append({
            "id": order_id, "status": "approved" if order_id % 3 else "submitted", "member_id": school_member[school_id],
            "school_id": school_id, "created_by_id": 1, "service_code": "", "engagement_number": "", "buyer_note": "",
            "net_amount": Decimal("0.00"), "vat_amount": Decimal("0.00"), "gross_amount": Decimal("0.00"),
            "created_at": submitted_at, "updated_at": submitted_at, "submitted_at": submitted_at,
            "rejection_reason": "",
        })
        links.append({"order_id": order_id, "campaign_id": campaign_id, "linked_at": submitted_at})
        for position, product_id in enumerate(rng.sample(range(1, PRODUCT_COUNT + 1), LINES_PER_ORDER)):
            line_id += 1
            quantity = Decimal(rng.randint(1, 300))
            price = prices[product_id]
            lines.append({
                "id": line_id, "order_id": order_id, "product_id": product_id, "position": position,
                "quantity": quantity, "reference": f"P{product_id:04d}", "name": f"Produit {product_id}",
                "unit": "item", "unit_price": price, "vat_category": "S", "vat_rate": Decimal("20.00"),
                "vat_exemption_reason": "", "contract_reference": "2023-MN-001", "sales_mode": "resale",
                "net_amount": line_net_amount(quantity, price),
            })
        if len(lines) >= 200_000:
            insert("orders", orders)
            insert("campaign_orders", links)
            insert("order_lines", lines)
            orders, links, lines = [], [], []
    insert("orders", orders)
    insert("campaign_orders", links)
    insert("order_lines", lines)
    db.session.commit()
    logger.info("Loaded %s order lines in %.1f s", line_id, time.perf_counter() - started)
    return {"line_count": line_id, "order_count": order_count}


def analyze() -> None:
    dialect = db.session.get_bind().dialect.name
    db.session.commit()
    if dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def timed(function, runs: int) -> float:
    """Return the median wall time in milliseconds of ``runs`` calls, after one warm-up call."""
    function()
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        durations.append((time.perf_counter() - started) * 1000)
        db.session.expire_all()
    return statistics.median(durations)


BARE_ALL = sa.text("SELECT product_id, SUM(quantity) FROM order_lines GROUP BY product_id")
BARE_CAMPAIGN = sa.text(
    "SELECT ol.product_id, SUM(ol.quantity) FROM order_lines ol "
    "JOIN campaign_orders co ON co.order_id = ol.order_id WHERE co.campaign_id = :campaign "
    "GROUP BY ol.product_id"
)
BARE_MEMBER = sa.text(
    "SELECT ol.product_id, SUM(ol.quantity) FROM order_lines ol JOIN orders o ON o.id = ol.order_id "
    "WHERE o.member_id = :member GROUP BY ol.product_id"
)


def measure(runs: int) -> dict[str, float]:
    from members.models import Member
    from orders.campaign_models import Campaign
    from orders.campaigns import close_campaign
    from reports.services import campaign_report, member_report

    results = {}
    started = time.perf_counter()
    for campaign in db.session.scalars(sa.select(Campaign).where(Campaign.school_year < SCHOOL_YEARS[-1])):
        close_campaign(campaign, now=NOW)
    db.session.commit()
    results["close two campaigns (one-off)"] = (time.perf_counter() - started) * 1000
    analyze()

    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.school_year == SCHOOL_YEARS[-2]))
    member_id = db.session.execute(
        sa.text("SELECT member_id FROM orders GROUP BY member_id ORDER BY COUNT(*) DESC LIMIT 1")
    ).scalar_one()
    member = db.session.get(Member, member_id)

    def run(statement, **params):
        return lambda: db.session.execute(statement, params).all()

    results["bare GROUP BY, all lines"] = timed(run(BARE_ALL), runs)
    results["bare GROUP BY, one campaign's lines"] = timed(run(BARE_CAMPAIGN, campaign=campaign.id), runs)
    results["campaign report (closed campaign)"] = timed(lambda: campaign_report(db.session.get(Campaign, campaign.id)), runs)
    results["bare GROUP BY, one member's lines"] = timed(run(BARE_MEMBER, member=member.id), runs)
    results["member report, all orders (largest member)"] = timed(lambda: member_report(db.session.get(Member, member.id)), runs)
    results["member report, one campaign (largest member)"] = timed(
        lambda: member_report(db.session.get(Member, member.id), db.session.get(Campaign, campaign.id)), runs
    )
    return results


def run_engine(url: str, line_count: int, runs: int, seed: int) -> dict[str, float]:
    if url.startswith("postgresql"):
        recreate_postgresql(url)
    else:
        Path(url[len("sqlite:///") :]).unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {}})
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        load(line_count, seed)
        analyze()
        return measure(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines to load (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query after one warm-up (default 5)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the data set")
    parser.add_argument("--sqlite-path", default="/tmp/centrale_bench.sqlite3", help="SQLite file, replaced")
    parser.add_argument(
        "--postgresql-url", default="postgresql://postgres@127.0.0.1/centrale_bench",
        help="PostgreSQL database, dropped and recreated; an empty value skips PostgreSQL",
    )
    parser.add_argument("--skip-sqlite", action="store_true", help="time PostgreSQL only")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    engines = []
    if not arguments.skip_sqlite:
        engines.append(("SQLite", f"sqlite:///{arguments.sqlite_path}"))
    if arguments.postgresql_url:
        engines.append(("PostgreSQL", arguments.postgresql_url))
    for name, url in engines:
        results = run_engine(url, arguments.lines, arguments.runs, arguments.seed)
        print(f"\n{name}, {arguments.lines:,} lines, median of {arguments.runs} runs")
        for label, milliseconds in results.items():
            print(f"  {label:48s} {milliseconds:10.1f} ms")


if __name__ == "__main__":
    main()
