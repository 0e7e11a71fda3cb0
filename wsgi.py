"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""

from govhub import create_app

app = create_app()
