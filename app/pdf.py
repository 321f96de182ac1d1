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
    from weasyprint.urls import default_url_fetcher

    root = static_folder.resolve()

    def fetch(url: str, *args, **kwargs):
        if url.startswith("data:"):
            return default_url_fetcher(url, *args, **kwargs)
        if url.startswith("file://"):
            path = Path(url[len("file://"):]).resolve()
            if path.is_relative_to(root) and path.is_file():
                return default_url_fetcher(url, *args, **kwargs)
        logger.warning("PDF rendering refused to fetch %s", url)
        raise ForbiddenResource(url)

    return fetch


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
