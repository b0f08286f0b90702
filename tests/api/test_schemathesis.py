"""schemathesis against the OpenAPI schema served by a live server.

Every operation gets a bounded number of generated requests (valid and
invalid ones) from a signed-in token user who may do everything; no answer
may be a 5xx, and every documented answer must match its schema.
"""

from __future__ import annotations

from collections import Counter
from unittest import mock

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

EXAMPLES = {
    schemathesis.GenerationMode.POSITIVE: 12,
    schemathesis.GenerationMode.NEGATIVE: 6,
}


@pytest.fixture
def quiet_broker(settings):
    """No worker runs here: tasks count as sent, and no rate limit trips."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}
    with (
        mock.patch("docsite.tasking.task_enqueue", return_value=True),
        mock.patch("interests.services.refresh._task_send_delayed", return_value=True),
    ):
        yield


def _real_ids(docs) -> dict[str, list[int]]:
    """Ids that exist, so that generated requests reach past the 404s."""
    from summaries.models import Summary
    from workers.models import ReprocessJob
    from workers.services import reprocess_job_start

    reprocess_job_start(kind="summaries")
    return {
        "document_id": [docs.engineering.pk, docs.hr.pk, docs.handbook.pk],
        "summary_id": list(Summary.objects.values_list("pk", flat=True)),
        "job_id": list(ReprocessJob.objects.values_list("pk", flat=True)),
    }


def _point_at_real_rows(case, *, ids: dict[str, list[int]], pick: int) -> None:
    """Aim a valid case at an existing row and space, half of the time."""
    if pick % 2:
        return
    for name in case.path_parameters or {}:
        if name in ids:
            case.path_parameters[name] = ids[name][pick // 2 % len(ids[name])]
    if isinstance(case.body, dict) and "space" in case.body:
        case.body["space"] = "engineering"


def _fuzz(operation, *, mode, examples, base_url, headers, ids, statuses) -> None:
    """Send ``examples`` generated requests to ``operation`` and check the answers."""

    @given(
        case=operation.as_strategy(generation_mode=mode),
        pick=st.integers(min_value=0, max_value=20),
    )
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case, pick):
        if mode == schemathesis.GenerationMode.POSITIVE:
            _point_at_real_rows(case, ids=ids, pick=pick)
        response = case.call_and_validate(
            base_url=base_url,
            headers=headers,
            checks=[not_a_server_error, response_schema_conformance],
        )
        statuses[(operation.label, response.status_code)] += 1

    check()


@pytest.mark.django_db(transaction=True)
def test_api_conforms_to_its_schema(live_server, world, docs, quiet_broker):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    headers = {"Authorization": f"Token {Token.objects.create(user=root).key}"}
    ids = _real_ids(docs)
    # The schema is for signed-in users only.
    schema = schemathesis.openapi.from_url(
        f"{live_server.url}/api/v1/schema/", headers=headers
    )
    statuses: Counter[tuple[str, int]] = Counter()
    # Deleting comes last, so the other operations still find the documents.
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda operation: operation.method.upper() == "DELETE",
    )

    for operation in operations:
        for mode, examples in EXAMPLES.items():
            _fuzz(
                operation,
                mode=mode,
                examples=examples,
                base_url=live_server.url,
                headers=headers,
                ids=ids,
                statuses=statuses,
            )

    print(
        f"\nschemathesis: {len(operations)} operations, "
        f"{sum(statuses.values())} requests"
    )
    for (label, code), count in sorted(statuses.items()):
        print(f"  {label} -> {code}: {count}")
    assert len(operations) >= 20
    assert not any(code >= 500 for _, code in statuses)
    # The requests reached real rows, not only 404s.
    assert sum(count for (_, code), count in statuses.items() if code < 300) > 50
