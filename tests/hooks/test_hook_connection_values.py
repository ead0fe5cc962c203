"""Connection values the hook refuses before any request: unknown data centres, numbers that are not finite.

Every sandbox connection sets accounts_url and api_domain, so these cases run on the sandbox's own connection:
a misspelt data centre must fail where the tests run, not first in production.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_bigin.client.datacenters import DATA_CENTERS
from airflow_provider_bigin.errors import ConnectionConfigError
from airflow_provider_bigin.hooks.bigin import BiginHook
from tests.hooks.conftest import UseConnection

VALID = "use one of us, eu, au, in, cn, jp, sa, ca"


def test_the_sandbox_connection_is_read_as_a_data_centre_of_the_table(
    bigin_sandbox: Any, use_connection: UseConnection
) -> None:
    conn = use_connection(bigin_sandbox.connection(cache_backend="memory"))
    assert conn["extra"].get("data_center", "us") in DATA_CENTERS  # none named means us
    assert BiginHook().get_conn().data_center.code == "us"


@pytest.mark.parametrize("code", ["usa", "narnia", "US-EAST"])
def test_an_unknown_data_centre_is_refused_even_with_both_urls_set(
    bigin_sandbox: Any, use_connection: UseConnection, code: str
) -> None:
    conn = bigin_sandbox.connection(cache_backend="memory", data_center=code)
    assert conn["extra"]["accounts_url"] == conn["extra"]["api_domain"] == bigin_sandbox.url
    use_connection(conn, conn_id="bigin_typo")
    with pytest.raises(ConnectionConfigError) as caught:
        BiginHook("bigin_typo").remove_tags("Contacts", ["2445013000000402006"], ["From Email"])
    assert str(caught.value).startswith(
        f"connection 'bigin_typo': Unknown data_center {code.lower()!r}: {VALID}."
    )
    assert bigin_sandbox.stats()["requests"] == 0


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (
            {"timeout": "inf"},
            "timeout must be a finite number of seconds, more than 0 and at most 3600, not 'inf'",
        ),
        (
            {"timeout": "NaN"},
            "timeout must be a finite number of seconds, more than 0 and at most 3600, not 'NaN'",
        ),
        (
            {"max_concurrency": "Infinity"},
            "max_concurrency must be a whole number from 1 to 10, not 'Infinity': Bigin allows about 10 "
            "calls in flight per org, shared by all its tasks",
        ),
    ],
)
def test_connection_values_that_are_not_finite_numbers_are_refused_before_any_request(
    bigin_sandbox: Any, use_connection: UseConnection, extra: dict[str, str], says: str
) -> None:
    use_connection(bigin_sandbox.connection(cache_backend="memory", **extra))
    with pytest.raises(ConnectionConfigError) as caught:
        BiginHook().get_conn().list_modules()
    assert str(caught.value) == f"connection 'bigin_default': {says}."
    assert bigin_sandbox.stats()["requests"] == 0


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"timeout": float("inf")}, "timeout must be a finite number of seconds"),
        ({"request_retry_max_seconds": float("inf")}, "request_retry_max_seconds must be a finite number"),
        ({"request_retry_max_seconds": float("nan")}, "request_retry_max_seconds must be a finite number"),
        ({"request_retry_max_seconds": -1}, "from 0 and at most 3600, not -1"),
    ],
)
def test_hook_arguments_that_are_not_finite_numbers_are_refused(
    bigin_sandbox: Any, use_connection: UseConnection, arguments: dict[str, float], says: str
) -> None:
    use_connection(bigin_sandbox.connection(cache_backend="memory"))
    with pytest.raises(ConnectionConfigError, match=says):
        BiginHook(**arguments).get_conn()
    assert bigin_sandbox.stats()["requests"] == 0


def test_a_zero_retry_budget_is_allowed(bigin_sandbox: Any, use_connection: UseConnection) -> None:
    use_connection(bigin_sandbox.connection(cache_backend="memory"))
    assert BiginHook(request_retry_max_seconds=0).get_conn().retry.max_elapsed == 0
