"""Absolute URLs (QR codes, links that leave the site) from the configured public address.

``url_for(..., _external=True)`` takes the host from the request, and the request's
``Host`` header is whatever the client sent: a forged one would put an attacker's address
into a check-in QR code. So every absolute URL is built here, from ``BASE_URL``; without
it (development, or production with ``SERVER_NAME`` and ``TRUSTED_HOSTS``, where Flask
refuses other hosts), Flask's own external URL is used.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, url_for


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` at the site's public address."""
    base_url = current_app.config.get("BASE_URL")
    if not base_url:
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base_url)
    anchor = values.pop("_anchor", None)
    current_app.inject_url_defaults(endpoint, values)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url
