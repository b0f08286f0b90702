"""Uploads above the limit are refused as early as the request allows.

The finding: an upload above the limit was received in full (to a temporary
file) before it was refused, and at the boundary the message read
"25.0 MB; the limit is 25.0 MB".
"""

from __future__ import annotations

from unittest import mock

import pytest
from rest_framework.test import APIClient

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from docsite.documents.models import DocumentUpload
from docsite.documents.services import size_refusal
from docsite.documents.uploadhandlers import UploadLimitHandler

pytestmark = pytest.mark.django_db

BIG = b"word " * 200_000  # 1 MB


def _counting():
    """Count the bytes Django's upload handlers receive."""
    received = []
    original = UploadLimitHandler.receive_data_chunk

    def counting(self, raw_data, start):
        received.append(len(raw_data))
        return original(self, raw_data, start)

    return received, mock.patch.object(
        UploadLimitHandler, "receive_data_chunk", counting
    )


def test_the_api_stops_reading_an_oversized_file_and_says_why(world, settings):
    settings.DOCSITE_MAX_UPLOAD_BYTES = 1000
    client = APIClient()
    client.force_authenticate(world.alice)
    received, counting = _counting()
    with counting:
        response = client.post(
            "/api/v1/documents/",
            {"space": "engineering", "file": SimpleUploadedFile("big.txt", BIG)},
            format="multipart",
        )
    assert response.status_code == 400
    message = response.json()["file"][0]
    assert message.startswith("big.txt is larger than the limit of")
    assert sum(received) < len(BIG) // 4, "the rest of the file was not read"
    assert not DocumentUpload.objects.exists()


def test_the_portal_form_says_why(world, settings):
    settings.DOCSITE_MAX_UPLOAD_BYTES = 1000
    client = Client()
    client.force_login(world.alice)
    response = client.post(
        reverse("documents:upload"),
        {"space": world.engineering.pk, "file": SimpleUploadedFile("big.txt", BIG)},
    )
    assert response.status_code == 400
    assert "big.txt is larger than the limit" in response.content.decode()


def test_the_message_is_worded_right_at_the_boundary(settings):
    settings.DOCSITE_MAX_UPLOAD_BYTES = 25 * 1024 * 1024
    limit = 25 * 1024 * 1024
    assert size_refusal(size=limit, filename="a.pdf") is None
    over = str(size_refusal(size=limit + 1, filename="a.pdf"))
    assert over == ("a.pdf is 26,214,401 bytes, over the limit of 26,214,400 bytes."), (
        over
    )
    far = str(size_refusal(size=40 * 1024 * 1024, filename="a.pdf"))
    assert far == "a.pdf is 40.0 MB, over the limit of 25.0 MB."
