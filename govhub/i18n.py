"""Language and display preferences: kept per user, and per session for visitors."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user


def select_locale() -> str:
    """The user's saved language, else the session's, else Simplified Chinese."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def elder_mode() -> bool:
    if current_user and current_user.is_authenticated:
        return current_user.elder_mode
    return bool(session.get("elder_mode"))


def html_lang() -> str:
    """The value of <html lang>: BCP 47, e.g. zh-CN or en."""
    locale = get_locale()
    return f"{locale.language}-{locale.territory}" if locale.territory else locale.language


def init_app(app: Flask) -> None:
    @app.context_processor
    def _display_preferences():
        return {
            "languages": app.config["LANGUAGES"],
            "current_locale": str(get_locale()),
            "html_lang": html_lang(),
            "elder_mode": elder_mode(),
            # Where the language and elder-mode switches return to.
            "current_path": request.full_path.rstrip("?"),
            # Between a sentence and what follows it on the line: a space in English,
            # none in Chinese (no space after 。).
            "sentence_gap": "" if get_locale().language == "zh" else " ",
        }
