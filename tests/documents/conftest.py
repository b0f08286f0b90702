from __future__ import annotations

import pytest

from docsite.documents.parsers import reset_parsers


@pytest.fixture
def fresh_parser_registry():
    """Parsers loaded from the settings and entry points as this test leaves them."""
    reset_parsers()
    yield
    reset_parsers()
