"""QR codes as PNG responses: the check-in screen, volunteer cards, service records and
vouchers all draw theirs here."""

from __future__ import annotations

import io

import qrcode
from flask import make_response
from qrcode.image.pil import PilImage


def qr_png(data: str) -> bytes:
    image = qrcode.make(data, image_factory=PilImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def png_response(data: bytes, *, private: bool = False):
    """``private``: the image is someone's own (a voucher): never cached on the way."""
    response = make_response(data)
    response.headers["Content-Type"] = "image/png"
    if private:
        response.headers["Cache-Control"] = "private, no-store"
    return response
