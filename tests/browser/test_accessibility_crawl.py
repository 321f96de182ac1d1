"""Walk the main pages of each demo role and check each one with axe-core.

Each role visits a fixed list of paths, and from some list pages the first link to a detail
page (a product, an order, an invoice...), so the demo data decides which rows are shown. The
walk is bounded (at most 65 page visits in all) and checks that it covers every link of the
role's navigation menu and account menu.
"""

import re

import pytest

from .conftest import assert_accessible, log_in

# Detail pages reached from a list page: the first link in <main> whose path matches.
PRODUCT = r"/catalog/products/\d+"
EDIT_PRODUCT = r"/catalog/manage/products/\d+/edit"
PRODUCT_PRICES = r"/catalog/manage/products/\d+/prices"
SUPPLIER = r"/catalog/manage/suppliers/\d+"
CONTRACT = r"/catalog/manage/contracts/\d+"
ORDER = r"/orders/\d+"
CART = r"/orders/cart/\d+"
MEMBER = r"/members/\d+"
SCHOOL = r"/schools/\d+"
INVOICE = r"/invoices/\d+"
CAMPAIGN = r"/campagnes/\d+"
CAMPAIGN_REPORT = r"/rapports/campagnes/\d+"
MEMBER_REPORT = r"/rapports/adherents/\d+"
OUTBOX_EMAIL = r"/admin/outbox/\d+"

# (path, detail links to follow from it) per role, in visiting order. The new-product and tiers
# forms are checked by test_catalogue_flow.py, so the walk leaves them out.
WALKS = {
    "acheteur@demo.centrale.test": [
        ("/catalog", (PRODUCT,)),
        ("/orders", (ORDER,)),
        ("/orders/new", (CART,)),
        ("/my-member", (SCHOOL,)),
        # The demo invoices belong to other members, so Saint-Lô's list is empty.
        ("/invoices", ()),
        ("/rapports/mon-rapport", ()),
        ("/subscriptions", ()),
        # The demo sends no e-mail to Saint-Lô's users, so the list is empty too.
        ("/notifications", ()),
        ("/account/password", ()),
    ],
    "valideur@demo.centrale.test": [
        ("/orders", (ORDER,)),
        ("/approval-rules", ()),
        ("/catalog", ()),
        ("/my-member", ()),
        ("/invoices", ()),
        ("/rapports/mon-rapport", ()),
        ("/subscriptions", ()),
    ],
    "catalogue@demo.centrale.test": [
        ("/catalog", (PRODUCT,)),
        ("/catalog/manage/categories", ()),
        ("/catalog/manage/suppliers", (SUPPLIER,)),
        ("/catalog/manage/contracts", (CONTRACT,)),
        ("/catalog/manage/import", ()),
        ("/catalog/manage/audit", ()),
        ("/orders", ()),
        ("/members", ()),
        ("/campagnes/", (CAMPAIGN,)),
        ("/campagnes/nouvelle", ()),
        ("/rapports/", (CAMPAIGN_REPORT,)),
    ],
    "finance@demo.centrale.test": [
        ("/invoices", (INVOICE,)),
        ("/invoices/overdue", ()),
        ("/invoices/settlements", ()),
        ("/payments/stripe", ()),
        ("/members", (MEMBER,)),
        ("/campagnes/", ()),
        ("/rapports/", (CAMPAIGN_REPORT,)),
        ("/catalog", ()),
        ("/orders", ()),
    ],
    "admin@demo.centrale.test": [
        ("/admin/jobs", ()),
        ("/admin/outbox", (OUTBOX_EMAIL,)),
        ("/payments/stripe/settings", ()),
        ("/members", ()),
        ("/members/import", ()),
        ("/catalog", ()),
        ("/orders", ()),
        ("/invoices", ()),
        ("/campagnes/", ()),
        ("/rapports/", ()),
    ],
}

# Links followed from a detail page reached above, keyed by the role and the detail's pattern.
FOLLOW_FROM_DETAIL = {
    ("catalogue@demo.centrale.test", PRODUCT): (EDIT_PRODUCT, PRODUCT_PRICES),
    ("finance@demo.centrale.test", CAMPAIGN_REPORT): (MEMBER_REPORT,),
}

# A cap on the walk, so that adding pages to it keeps the browser suite short.
MAX_VISITS = 65


def first_link(page, pattern: str) -> str:
    """Return the path of the first link in <main> that matches ``pattern`` exactly."""
    hrefs = page.locator("main a[href]").evaluate_all("links => links.map(link => link.getAttribute('href'))")
    regex = re.compile(pattern)
    for href in hrefs:
        path = href.split("?")[0].split("#")[0]
        if regex.fullmatch(path):
            return path
    pytest.fail(f"no link matching {pattern} on {page.url}", pytrace=False)


def visit(page, path: str) -> None:
    response = page.goto(path)
    assert response.status == 200, f"{path} returned {response.status}"
    assert_accessible(page)


def menu_links(page) -> set[str]:
    """Return the paths of the main navigation links, without the brand and account menu links."""
    hrefs = page.locator("header nav > ul > li > a[href]:not(.brand)").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    )
    return set(hrefs)


def walk(page, email: str) -> list[str]:
    """Visit the role's pages and their first detail links; return the paths visited."""
    visited = []
    for path, patterns in WALKS[email]:
        visit(page, path)
        visited.append(path)
        details = [(pattern, first_link(page, pattern)) for pattern in patterns]
        for pattern, detail in details:
            visit(page, detail)
            visited.append(detail)
            followed = [first_link(page, follow) for follow in FOLLOW_FROM_DETAIL.get((email, pattern), ())]
            for follow in followed:
                visit(page, follow)
                visited.append(follow)
    return visited


def count_planned_visits() -> int:
    count = 0
    for email, steps in WALKS.items():
        for _path, patterns in steps:
            count += 1 + len(patterns)
            count += sum(len(FOLLOW_FROM_DETAIL.get((email, pattern), ())) for pattern in patterns)
    return count


def test_walk_stays_bounded():
    assert count_planned_visits() <= MAX_VISITS


@pytest.mark.parametrize("email", list(WALKS), ids=lambda email: email.split("@")[0])
def test_role_pages_accessible(page, email):
    log_in(page, email)
    menu = menu_links(page)
    assert "/catalog" in menu, "the navigation menu was not found"

    visited = walk(page, email)

    assert menu - set(visited) == set(), "menu links not walked"
