"""PDF rendering with WeasyPrint, limited to the application's own static files."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from flask import current_app, render_template

logger = logging.getLogger(__name__)


class ForbiddenResource(ValueError):
    """WeasyPrint asked for a URL outside the application's static folder."""


def _static_only_fetcher(static_folder: Path):
    """Build a WeasyPrint URL fetcher that serves data: URLs and files of ``static_folder`` only.

    WeasyPrint 70 takes a URLFetcher instance (it reads the fetcher's error settings), so the
    check is a subclass of it rather than a plain function.
    """
    from weasyprint.urls import URLFetcher

    root = static_folder.resolve()

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file://"):
                path = Path(url[len("file://"):].split("?")[0]).resolve()
                if path.is_relative_to(root) and path.is_file():
                    return super().fetch(url, headers)
            logger.warning("PDF rendering blocked a fetch outside the static folder: %s", url)
            raise ForbiddenResource(url)

    return StaticOnlyFetcher(allowed_protocols=("file", "data"), allow_redirects=False)


def render_pdf(template: str, **context) -> bytes:
    """Render a Jinja template to PDF bytes; the template receives plain data only.

    Relative URLs resolve against the static folder, and nothing else can be fetched.
    """
    from weasyprint import HTML

    static_folder = Path(current_app.static_folder)
    html = render_template(template, **context)
    document = HTML(
        string=html,
        base_url=static_folder.as_uri() + "/",
        url_fetcher=_static_only_fetcher(static_folder),
    )
    return document.write_pdf()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
