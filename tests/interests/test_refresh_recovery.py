"""A like recorded while the broker is down still refreshes the reader's interests.

The finding: the refresh is sent after commit; with the broker unreachable
nothing was sent, and without a later event the reader's interests never
learned the like. The sweeper now requests the refresh.
"""

from __future__ import annotations

from unittest import mock

import pytest

from docsite.documents.services import document_create_from_text
from interests.models import UserInterest
from interests.services import interaction_record, user_interest_refresh
from workers.sweeper import due_work_enqueue

pytestmark = pytest.mark.django_db


def test_a_like_while_the_broker_is_down_is_refreshed_by_the_sweeper(
    world, django_capture_on_commit_callbacks
):
    document = document_create_from_text(
        space=world.handbook, title="Values", text="Be kind to each other."
    ).document
    with (
        mock.patch("interests.services.refresh._task_send_delayed", return_value=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        interaction_record(user=world.carol, document_id=document.pk, kind="like")
    assert not UserInterest.objects.filter(
        user=world.carol, refresh_queued_at__isnull=False
    ).exists(), "nothing is waiting: the broker never got the refresh"

    with (
        mock.patch(
            "interests.services.refresh._task_send_delayed", return_value=True
        ) as send,
        mock.patch("docsite.tasking.task_enqueue", return_value=True),
    ):
        due_work_enqueue()
        sent_for = [call.kwargs.get("user_id") for call in send.call_args_list]
        assert world.carol.pk in sent_for

        # Once refreshed, the sweeper has nothing more to ask for her.
        user_interest_refresh(user_id=world.carol.pk)
        send.reset_mock()
        due_work_enqueue()
        assert world.carol.pk not in [
            call.kwargs.get("user_id") for call in send.call_args_list
        ]
