"""A bounded fuzz run of every operation in our OpenAPI description: nothing may answer 5xx.

Schemathesis generates parameters and bodies from /openapi.json, valid and invalid ones, random
bytes as image data and random paths for the storage calls. The search context id is pinned to
a real context (with a few indexed images) so the searches run for real instead of stopping at
404; only the operation that deletes a context keeps its generated ids.

Each operation's cases come from its Hypothesis strategy (``APIOperation.as_strategy``).
TODO: use ``schemathesis.pytest.from_fixture`` once it runs under pytest 9 (4.32.5 reads the
removed ``Function._nodeid``).
"""

from __future__ import annotations

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.service.conftest import SEARCH, Service

# Per operation and generation mode: about 30 operations stay under three minutes on two cores.
EXAMPLES_PER_OPERATION = 40
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


def fuzz_context(service: Service) -> str:
    context_id = service.create_context()
    for name in ("FindSimilar/1.jpg", "FindSimilar/2.jpg", "ComparableImage.jpg"):
        added = service.call("POST", f"{SEARCH}/{context_id}/image", params={"imageId": name})
        assert added.status_code == 200, added.text
    service.call("POST", f"{SEARCH}/{context_id}/addTag", params={"tagName": "temple"},
                 files={"imageData": ("t.jpg", (service.storage / "ComparableImage.jpg")
                                      .read_bytes())})
    return context_id


def fuzz(operation: schemathesis.APIOperation, service: Service, pinned: dict[str, str],
         failures: list[str]) -> int:
    """Run one operation's cases; record every 5xx or trace; return how many ran."""
    strategy = st.one_of(*(operation.as_strategy(mode, path_parameters=pinned or None)
                           for mode in MODES))
    ran = 0

    @given(case=strategy)
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
              database=None, suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case) -> None:
        nonlocal ran
        ran += 1
        try:
            response = case.call(base_url=service.url, session=service.session, timeout=60)
        except requests.RequestException as exc:
            failures.append(f"{operation.label}: no answer ({exc})")
            return
        if response.status_code >= 500 or b"Traceback" in response.content:
            failures.append(f"{operation.label} {case.path_parameters} {case.query}: "
                            f"{response.status_code} {response.content[:200]!r}")

    run()
    return ran


def test_no_operation_answers_5xx(service: Service) -> None:
    schema = schemathesis.openapi.from_url(service.url + "/openapi.json", timeout=30)
    context_id = fuzz_context(service)
    failures: list[str] = []
    counts: dict[str, int] = {}

    for result in schema.get_all_operations():
        operation = result.ok()
        names = {p.name for p in operation.path_parameters}
        deletes_context = operation.method.upper() == "DELETE" \
            and operation.path.endswith("/{searchContextId}")
        pinned = {"searchContextId": context_id} \
            if "searchContextId" in names and not deletes_context else {}
        counts[operation.label] = fuzz(operation, service, pinned, failures)

    assert failures == []
    assert len(counts) >= 30
    assert all(count >= 5 for count in counts.values()), counts
    assert service.call("GET", f"{SEARCH}/{context_id}/status").status_code == 200
