"""BiginClient: a pooled session and a token source for one connection, the reads, and run(plan).

The client puts the parts together and holds none of their logic: inputs and plans (plan.py), how a run goes
(runner.py), what is sent (calls.py), how it travels (transport.py) and what the replies mean (replies.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import requests

from airflow_provider_bigin.client.calls import (
    API_PREFIX,
    ApiRequest,
    list_modules_request,
    list_tags_request,
    record_request,
)
from airflow_provider_bigin.client.concurrency import AdaptiveLimit
from airflow_provider_bigin.client.datacenters import DataCenter
from airflow_provider_bigin.client.inputs import normalise_record_ids, resolve_module
from airflow_provider_bigin.client.plan import (
    MAX_IDS_PER_CALL,
    MAX_TAGS_PER_CALL,
    TagPlan,
    build_plan,
    check_call_limits,
)
from airflow_provider_bigin.client.plurals import count_noun
from airflow_provider_bigin.client.replies import ApiReply
from airflow_provider_bigin.client.results import BatchReport, ResultSink, TagOutcome
from airflow_provider_bigin.client.retrying import RetryPolicy
from airflow_provider_bigin.client.runner import PlanRunner
from airflow_provider_bigin.client.settings import ClientSettings
from airflow_provider_bigin.client.tokens.source import (
    DEFAULT_LOCKOUT_WAIT_SECONDS,
    DEFAULT_REFRESH_MARGIN_SECONDS,
    TokenSource,
)
from airflow_provider_bigin.client.tokens.stores import TokenStore, build_token_store
from airflow_provider_bigin.client.transport import Counters, Transport, new_session
from airflow_provider_bigin.errors import InvalidInputError, UnexpectedResponseError

__all__ = ["BiginClient", "ConnectionCheck", "RecordRead"]

#: The field of a Bigin record that holds its tags, as [{"name", "id"}] (docs/zoho-facts.md, section 1).
TAG_FIELD = "Tag"


@dataclass(frozen=True)
class ConnectionCheck:
    """What a connection test found: the data centre, the API domain in use, and the modules visible."""

    data_center: str
    api_domain: str
    modules: tuple[str, ...]

    @property
    def message(self) -> str:
        return (
            f"Connected to Bigin ({self.data_center.upper()} data centre, {self.api_domain}); "
            f"{count_noun(len(self.modules), 'module')} visible."
        )


@dataclass(frozen=True)
class RecordRead:
    """One record as Bigin answered a read of it, and that reply's HTTP status.

    `fields` is the record as Bigin sent it (its personal data included, so log `tags`, not `fields`).
    """

    module: str
    id: str
    http_status: int
    fields: Mapping[str, Any]

    @property
    def tags(self) -> tuple[str, ...]:
        """The names in the record's Tag field, in Bigin's order; () when it has none."""
        tags = self.fields.get(TAG_FIELD)
        if not isinstance(tags, list):
            return ()
        return tuple(
            tag["name"] for tag in tags if isinstance(tag, dict) and isinstance(tag.get("name"), str)
        )


class BiginClient:
    """A Bigin API client for one connection: one pooled session, one token source, typed errors.

    :param settings: the connection's fields.
    :param token_store: where tokens are shared; default from `settings.cache_backend` (see tokens/stores.py).
    :param session: a requests.Session to use (not closed by close()); default: a pooled one of our own.
    :param on_new_token: called with every access token this client sees first (pass mask_secret).
    :param max_ids_per_call: ids per call, at most 500 (Bigin's limit).
    :param max_tags_per_call: tags per call, at most 10.
    :param retry: the retry policy for transient failures.
    :param adaptive_concurrency: lower the calls in flight on Bigin's 429s and raise them back after
        successes, within `max_concurrency` (concurrency.py); False keeps `max_concurrency` in flight.
    """

    def __init__(
        self,
        settings: ClientSettings,
        *,
        token_store: TokenStore | None = None,
        session: requests.Session | None = None,
        on_new_token: Callable[[str], None] | None = None,
        max_ids_per_call: int = MAX_IDS_PER_CALL,
        max_tags_per_call: int = MAX_TAGS_PER_CALL,
        retry: RetryPolicy | None = None,
        refresh_margin_seconds: float = DEFAULT_REFRESH_MARGIN_SECONDS,
        lockout_wait_seconds: float = DEFAULT_LOCKOUT_WAIT_SECONDS,
        adaptive_concurrency: bool = True,
    ) -> None:
        self.settings = settings
        self._dc = settings.data_center_info()
        # Check the limits now rather than in the middle of a run.
        check_call_limits(max_ids_per_call, max_tags_per_call)
        self.max_ids_per_call = max_ids_per_call
        self.max_tags_per_call = max_tags_per_call
        self.retry = retry or RetryPolicy()
        self._own_session = session is None
        self._session = session or new_session(settings.concurrency)
        self.tokens = TokenSource(
            accounts_url=self._dc.accounts_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            refresh_token=settings.refresh_token,
            session=self._session,
            store=token_store or build_token_store(settings.cache_backend),
            timeout=settings.timeouts,
            on_new_token=on_new_token,
            refresh_margin_seconds=refresh_margin_seconds,
            lockout_wait_seconds=lockout_wait_seconds,
        )
        self._transport = Transport(
            session=self._session,
            tokens=self.tokens,
            data_center=self._dc,
            explicit_api_domain=bool(settings.api_domain),
            timeout=settings.timeouts,
        )
        self._runner = PlanRunner(
            self._transport,
            retry=self.retry,
            concurrency=settings.concurrency,
            get_token=self.tokens.get,
            adaptive=adaptive_concurrency,
        )

    def __repr__(self) -> str:
        return f"BiginClient(data_center={self._dc.code!r}, api_domain={self.api_domain!r})"

    @property
    def concurrency(self) -> AdaptiveLimit:
        """Calls in flight now allowed (`limit`), at most `maximum`, and the 429s heard (`rate_limited`)."""
        return self._runner.limit

    @property
    def data_center(self) -> DataCenter:
        return self._dc

    @property
    def api_domain(self) -> str | None:
        """The API domain in use, known after the first token."""
        return self._transport.api_domain

    # --- tags -----------------------------------------------------------------------------------------

    def plan(self, action: str, module: Any, record_ids: Any, tag_names: Any) -> TagPlan:
        """The validated, normalised calls a run would make with this client's limits; sends nothing."""
        return build_plan(
            action,
            module,
            record_ids,
            tag_names,
            max_ids_per_call=self.max_ids_per_call,
            max_tags_per_call=self.max_tags_per_call,
        )

    def run(
        self,
        plan: TagPlan,
        *,
        on_batch: Callable[[BatchReport], None] | None = None,
        sink: ResultSink | None = None,
        keep_all: bool = False,
    ) -> TagOutcome:
        """Send a plan's calls concurrently; a whole-request error stops the run and carries `.outcome`.

        With a `sink`, each settled id chunk's results go to it and the outcome keeps only the failed ones
        (every one with `keep_all`): for runs too large to hold every result, a million records and more.
        """
        return self._runner.run(plan, on_batch=on_batch, sink=sink, keep_all=keep_all)

    def remove_tags(
        self,
        module: Any,
        record_ids: Any,
        tag_names: Any,
        *,
        on_batch: Callable[[BatchReport], None] | None = None,
        sink: ResultSink | None = None,
    ) -> TagOutcome:
        """Remove the tags from the records; one result per distinct id, in input order (see `run`)."""
        return self.run(self.plan("remove_tags", module, record_ids, tag_names), on_batch=on_batch, sink=sink)

    def add_tags(
        self,
        module: Any,
        record_ids: Any,
        tag_names: Any,
        *,
        on_batch: Callable[[BatchReport], None] | None = None,
        sink: ResultSink | None = None,
    ) -> TagOutcome:
        """Add the tags to the records; one result per distinct id, in input order (see `run`)."""
        return self.run(self.plan("add_tags", module, record_ids, tag_names), on_batch=on_batch, sink=sink)

    # --- reads ----------------------------------------------------------------------------------------

    def _read(self, request: ApiRequest) -> ApiReply:
        counters = Counters()

        def attempt() -> ApiReply:
            return self._transport.send(request, counters, retry=counters.api_calls > 0)

        return self.retry.retrying(label=f"{request.method} {request.path}")(attempt)

    def _get(self, request: ApiRequest) -> Any:
        return self._read(request).payload

    def get_record(self, module: Any, record_id: Any) -> RecordRead | None:
        """One record (``GET /bigin/v2/{module}/{id}``), or None when Bigin has no record of that id.

        What a tag call left on a record is read here: Bigin's tag replies do not say whether their
        ``details.tags`` are the tags before or after the call (docs/zoho-facts.md, section 1). Bigin answers
        an unknown or deleted id with an empty 204 (section 5). Costs one credit; retried as the other reads.
        """
        api_name = resolve_module(module)
        ids = normalise_record_ids(record_id)
        if len(ids) != 1:
            raise InvalidInputError(
                f"get_record reads one record, and {record_id!r} names {count_noun(len(ids), 'id')}: "
                "give a single record id."
            )
        reply = self._read(record_request(api_name, ids[0]))
        if reply.payload is None:
            return None
        data = reply.payload.get("data") if isinstance(reply.payload, dict) else None
        if not isinstance(data, list) or not data or not isinstance(data[0], dict):
            raise UnexpectedResponseError(
                f"Bigin answered GET {API_PREFIX}/{api_name}/{ids[0]} with HTTP {reply.status} but no record "
                "in data[]: check that api_domain is a Bigin server.",
                http_status=reply.status,
            )
        return RecordRead(module=api_name, id=ids[0], http_status=reply.status, fields=data[0])

    def get_tags(self, module: Any) -> list[dict[str, Any]]:
        """The module's tags ({"id", "name", ...}), as Bigin lists them."""
        payload = self._get(list_tags_request(resolve_module(module)))
        tags = payload.get("tags") if isinstance(payload, dict) else None
        return [tag for tag in tags if isinstance(tag, dict)] if isinstance(tags, list) else []

    def list_modules(self) -> list[dict[str, Any]]:
        """The modules the token can see ({"api_name", ...})."""
        payload = self._get(list_modules_request())
        modules = payload.get("modules") if isinstance(payload, dict) else None
        if not isinstance(modules, list):
            raise UnexpectedResponseError("Bigin listed no modules: check that api_domain is a Bigin server.")
        return [module for module in modules if isinstance(module, dict)]

    def check(self) -> ConnectionCheck:
        """One cheap authenticated call (list modules), for the hook's test_connection."""
        modules = self.list_modules()
        return ConnectionCheck(
            data_center=self._dc.code,
            api_domain=self.api_domain or self._dc.api_domain,
            modules=tuple(str(module.get("api_name")) for module in modules if module.get("api_name")),
        )

    # --- lifecycle ------------------------------------------------------------------------------------

    def close(self) -> None:
        if self._own_session:
            self._session.close()

    def __enter__(self) -> BiginClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
