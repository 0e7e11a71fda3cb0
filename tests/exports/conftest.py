"""Fixtures of the export tests: the two streets, and a client that can read a stream."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.exports.helpers import make_world


@pytest.fixture
def world(app):
    return make_world()


@pytest.fixture
def plain_client(app):
    """A client whose requests run in the test's own context, so a streamed body can be
    read piece by piece after the view has returned (the ``IsolatedClient`` runs each
    request in a context of its own, which a stream read later would not be in)."""
    return FlaskClient(app, app.response_class, use_cookies=True)
