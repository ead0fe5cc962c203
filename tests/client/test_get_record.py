"""BiginClient.get_record: one record read back over real HTTP, to see what a tag call left on it."""

from __future__ import annotations

import pytest

from airflow_provider_bigin.client import ClientSettings, MemoryTokenStore, RecordRead, RetryPolicy
from airflow_provider_bigin.client.bigin import BiginClient
from airflow_provider_bigin.errors import BadRequestError, InvalidInputError, UnexpectedResponseError
from airflow_provider_bigin.sandbox import Sandbox
from tests.client.conftest import MakeClient
from tests.reliability.odd_server import OddServer, Reply

ONCE = RetryPolicy(max_attempts=1, initial_wait=0.001, max_wait=0.001, max_elapsed=5.0)


def test_get_record_reads_the_tags_a_tag_call_left_on_the_record(
    bigin_sandbox: Sandbox, make_client: MakeClient
) -> None:
    (record_id,) = bigin_sandbox.add_records("Contacts", [{"Last_Name": "Read", "Tag": ["Keep"]}])
    client = make_client(bigin_sandbox)
    client.add_tags("Contacts", [record_id], ["Checked"])

    read = client.get_record("contacts", int(record_id))

    assert isinstance(read, RecordRead)
    assert (read.module, read.id, read.http_status) == ("Contacts", record_id, 200)
    assert set(read.tags) == {"Keep", "Checked"}
    assert read.fields["Last_Name"] == "Read"
    client.remove_tags("Contacts", [record_id], ["Checked", "Keep"])
    after = client.get_record("Contacts", record_id)
    assert after is not None
    assert after.tags == ()


def test_an_unknown_id_is_the_sandbox_s_invalid_data_refusal(
    bigin_sandbox: Sandbox, make_client: MakeClient
) -> None:
    with pytest.raises(BadRequestError, match="invalid"):
        make_client(bigin_sandbox).get_record("Contacts", "2445013000000999999")


def _client_of(odd: OddServer) -> BiginClient:
    settings = ClientSettings(
        client_id="1000.READ",
        client_secret="read-secret-value",
        refresh_token="1000.read.refresh.value",
        accounts_url=odd.url,
        api_domain=odd.url,
    )
    return BiginClient(settings, token_store=MemoryTokenStore(), retry=ONCE)


def test_bigin_s_empty_204_for_a_missing_id_reads_as_none() -> None:
    with OddServer(api=lambda seen: Reply(204)) as odd, _client_of(odd) as client:
        assert client.get_record("Pipelines", "2445013000000402006") is None
        (seen,) = odd.api_requests
        assert (seen.method, seen.path) == ("GET", "/bigin/v2/Pipelines/2445013000000402006")


def test_a_reply_without_a_record_is_refused_with_its_status() -> None:
    with (
        OddServer(api=lambda seen: Reply.json({"data": []})) as odd,
        _client_of(odd) as client,
        pytest.raises(UnexpectedResponseError, match="HTTP 200 but no record") as caught,
    ):
        client.get_record("Contacts", "2445013000000402006")
    assert caught.value.http_status == 200


@pytest.mark.parametrize("record_id", ["1,2", [], "not-an-id"])
def test_anything_but_one_record_id_is_refused_before_any_request(record_id: object) -> None:
    with OddServer(api=lambda seen: Reply(204)) as odd, _client_of(odd) as client:
        with pytest.raises(InvalidInputError):
            client.get_record("Contacts", record_id)
        assert odd.requests == 0
