"""BiginClient: plain Python, no Airflow. Batches, bounded concurrency, retries, per-record results.

Retrying relies on idempotency: removing a tag a record no longer has, or adding one it already has, leaves
the record as the first successful call left it, so a call whose reply was lost can be sent again. A retry
re-sends only the ids that have no final result yet, and each id's result is recorded exactly once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from airflow_provider_bigin.auth import AccessToken
from airflow_provider_bigin.batching import (
    MAX_IDS_PER_CALL,
    MAX_TAGS_PER_CALL,
    PlannedBatch,
    TagPlan,
    build_plan,
    combine_group_results,
    not_attempted,
    plan_batches,
)
from airflow_provider_bigin.datacenters import DataCenter, data_center_for_api_domain, origin_of
from airflow_provider_bigin.errors import (
    BiginError,
    ConnectionConfigError,
    RateLimitedError,
    ServerError,
    TransientError,
    TransportError,
    UnexpectedResponseError,
)
from airflow_provider_bigin.inputs import resolve_module
from airflow_provider_bigin.results import (
    ERROR,
    MISSING_RESULT,
    RATE_LIMITED,
    SERVER_ERROR,
    TRANSPORT_ERROR,
    BatchReport,
    OutcomeSummary,
    RecordResult,
    SharedValues,
    TagOutcome,
    parse_record_results,
)
from airflow_provider_bigin.retrying import RetryPolicy
from airflow_provider_bigin.settings import ClientSettings
from airflow_provider_bigin.tag_requests import tag_request
from airflow_provider_bigin.token_cache import TokenSource, TokenStore, build_token_store
from airflow_provider_bigin.transport import (
    API_PREFIX,
    USER_AGENT,
    ApiRequest,
    Counters,
    Transport,
    encode_query,
)

__all__ = ["BiginClient", "ClientSettings", "ConnectionCheck"]

log = logging.getLogger(__name__)

# Scopes for the read calls (https://www.bigin.com/developer/docs/apis/v2/ scopes pages).
SCOPE_READ_TAGS = "ZohoBigin.settings.tags.READ"
SCOPE_READ_MODULES = "ZohoBigin.settings.modules.READ"


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
            f"{len(self.modules)} modules visible."
        )


_BatchOutcome = tuple[dict[str, RecordResult], "BiginError | None"]


class _Unsettled(Exception):
    """Some ids of a call got no final result; raised to make tenacity send them again."""


@dataclass
class _BatchState:
    pending: list[str]
    settled: dict[str, RecordResult] = field(default_factory=dict)
    transient: dict[str, RecordResult] = field(default_factory=dict)
    attempts: int = 0
    # An earlier attempt lost its reply (dropped, timed out, 5xx): it may have applied the change.
    reply_lost: bool = False


def _failure_code(error: BaseException) -> str:
    if isinstance(error, RateLimitedError):
        return RATE_LIMITED
    if isinstance(error, TransportError):
        return TRANSPORT_ERROR
    if isinstance(error, ServerError):
        return SERVER_ERROR
    return MISSING_RESULT


class BiginClient:
    """A Bigin API client for one connection: one pooled session, one token source, typed errors.

    :param settings: the connection's fields.
    :param token_store: where tokens are shared; default from `settings.token_cache` (see token_stores.py).
    :param session: a requests.Session to use (not closed by close()); default: a pooled one of our own.
    :param on_new_token: called with every access token this client sees first (pass mask_secret).
    :param max_ids_per_call: ids per call, at most 500 (Bigin's limit).
    :param max_tags_per_call: tags per call, at most 10.
    :param retry: the retry policy for transient failures.
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
        refresh_margin_seconds: float = 300.0,
        lockout_wait_seconds: float = 30.0,
    ) -> None:
        self.settings = settings
        self._dc = settings.data_center_info()
        # Check the limits now rather than in the middle of a run.
        plan_batches((), (), max_ids_per_call=max_ids_per_call, max_tags_per_call=max_tags_per_call)
        self.max_ids_per_call = max_ids_per_call
        self.max_tags_per_call = max_tags_per_call
        self.retry = retry or RetryPolicy()
        self._own_session = session is None
        self._session = session or self._new_session(settings.concurrency)
        self._api_domain: str | None = None
        self.tokens = TokenSource(
            accounts_url=self._dc.accounts_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            refresh_token=settings.refresh_token,
            session=self._session,
            store=token_store or build_token_store(settings.token_cache),
            timeout=settings.timeouts,
            on_new_token=on_new_token,
            refresh_margin_seconds=refresh_margin_seconds,
            lockout_wait_seconds=lockout_wait_seconds,
        )
        self._transport = Transport(
            session=self._session,
            tokens=self.tokens,
            api_domain_for=self._api_domain_for,
            timeout=settings.timeouts,
        )

    @staticmethod
    def _new_session(concurrency: int) -> requests.Session:
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(concurrency, 2), max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        return session

    def __repr__(self) -> str:
        return f"BiginClient(data_center={self._dc.code!r}, api_domain={self._api_domain!r})"

    # --- data centre ------------------------------------------------------------------------------------

    @property
    def data_center(self) -> DataCenter:
        return self._dc

    @property
    def api_domain(self) -> str | None:
        """The API domain in use, known after the first token."""
        return self._api_domain

    def _api_domain_for(self, token: AccessToken) -> str:
        """The token's api_domain, refused when it lies outside the connection's data centre."""
        expected = self._dc.api_domain
        explicit = bool(self.settings.api_domain)
        if token.api_domain:
            try:
                given = origin_of(token.api_domain)
            except ConnectionConfigError:
                given = token.api_domain
            owner = data_center_for_api_domain(given)
            if given != expected and not (explicit and owner is not None and owner.code == self._dc.code):
                label = owner.label if owner else given
                raise ConnectionConfigError(
                    f"The access token belongs to {label} ({given}), the connection says "
                    f"{self._dc.label} ({expected}): "
                    + (
                        f"set data_center to {owner.code!r}, the data centre of the Bigin account."
                        if owner
                        else "set data_center, or api_domain, to the data centre of the Bigin account."
                    )
                )
        self._api_domain = expected
        return expected

    # --- tags -----------------------------------------------------------------------------------------

    def plan(self, action: str, module: Any, record_ids: Any, tag_names: Any) -> TagPlan:
        """The validated, normalised calls a run would make; sends nothing (dry runs)."""
        return build_plan(
            action,
            module,
            record_ids,
            tag_names,
            max_ids_per_call=self.max_ids_per_call,
            max_tags_per_call=self.max_tags_per_call,
        )

    def remove_tags(
        self,
        module: Any,
        record_ids: Any,
        tag_names: Any,
        *,
        on_batch: Callable[[BatchReport], None] | None = None,
    ) -> TagOutcome:
        """Remove the tags from the records; one result per distinct id, in input order."""
        return self.run(self.plan("remove_tags", module, record_ids, tag_names), on_batch=on_batch)

    def add_tags(
        self,
        module: Any,
        record_ids: Any,
        tag_names: Any,
        *,
        on_batch: Callable[[BatchReport], None] | None = None,
    ) -> TagOutcome:
        """Add the tags to the records; one result per distinct id, in input order."""
        return self.run(self.plan("add_tags", module, record_ids, tag_names), on_batch=on_batch)

    def run(self, plan: TagPlan, *, on_batch: Callable[[BatchReport], None] | None = None) -> TagOutcome:
        """Send a plan's calls concurrently; a whole-request error stops the run and carries `.outcome`."""
        counters = Counters()
        stop = threading.Event()
        finished: dict[int, dict[str, RecordResult]] = {}
        failure: BaseException | None = None
        shared = SharedValues()
        if plan.batches:
            executor = ThreadPoolExecutor(
                max_workers=min(self.settings.concurrency, len(plan.batches)), thread_name_prefix="bigin"
            )
            try:
                futures: dict[Future[_BatchOutcome], PlannedBatch] = {
                    executor.submit(self._send_batch, plan, batch, counters, stop, shared): batch
                    for batch in plan.batches
                }
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        if future.cancelled():
                            continue
                        batch = futures[future]
                        error = future.exception()  # a bug rather than Bigin: still report what was done
                        results, refusal = future.result() if error is None else ({}, None)
                        finished[batch.index] = results
                        if refusal is not None or error is not None:
                            failure = failure or refusal or error
                            stop.set()
                            for other in pending:
                                other.cancel()
                        elif on_batch is not None:
                            self._report(on_batch, batch, plan, results)
            finally:
                # On an error, or the task being killed, no new call starts; calls in flight finish.
                stop.set()
                executor.shutdown(wait=True, cancel_futures=True)
        outcome = self._outcome(plan, finished, counters)
        if failure is not None:
            if isinstance(failure, BiginError):
                failure.outcome = outcome
            raise failure
        return outcome

    @staticmethod
    def _report(
        on_batch: Callable[[BatchReport], None],
        batch: PlannedBatch,
        plan: TagPlan,
        results: dict[str, RecordResult],
    ) -> None:
        """Tell the caller a call finished; a failing callback is logged, never allowed to stop the run."""
        ok = sum(1 for result in results.values() if result.ok)
        try:
            on_batch(BatchReport(batch.index, plan.calls, len(batch.ids), ok, len(batch.ids) - ok))
        except Exception:
            log.exception(
                "The on_batch callback failed for call %d of %d; the run goes on.", batch.index, plan.calls
            )

    def _send_batch(
        self,
        plan: TagPlan,
        batch: PlannedBatch,
        counters: Counters,
        stop: threading.Event,
        shared: SharedValues | None = None,
    ) -> _BatchOutcome:
        """One planned call, retried for the ids still unsettled.

        Transient failures that outlast the retries become per-record data; a whole-request refusal (scope,
        permission, bad request, token) is returned beside the results so the run can stop and report it.
        """
        state = _BatchState(pending=list(batch.ids))

        def attempt() -> None:
            request = tag_request(plan.action, plan.module, state.pending, batch.tags)
            reply = self._transport.send(request, counters, retry=state.attempts > 0)
            state.attempts += 1
            try:
                parsed = parse_record_results(reply.payload, state.pending, shared)
            except UnexpectedResponseError as error:
                raise UnexpectedResponseError(
                    f"{error.message} ({plan.action} on {plan.module}, HTTP {reply.status})",
                    http_status=reply.status,
                ) from None
            for record_id, result in parsed.items():
                if result.transient:
                    state.transient[record_id] = result
                else:
                    state.settled[record_id] = result
                    state.transient.pop(record_id, None)
            state.pending = [record_id for record_id in state.pending if record_id not in state.settled]
            if state.pending:
                raise _Unsettled

        def counted_attempt() -> None:
            try:
                attempt()
            except TransientError as error:
                state.attempts += 1
                state.reply_lost = state.reply_lost or not isinstance(error, RateLimitedError)
                raise

        try:
            self.retry.retrying(retry_on=(TransientError, _Unsettled), stop_event=stop)(counted_attempt)
        except (TransientError, _Unsettled) as error:
            for record_id in state.pending:
                state.settled[record_id] = state.transient.get(record_id) or self._gave_up(
                    record_id, error, state.attempts
                )
        except BiginError as refusal:
            for record_id in state.pending:
                state.settled[record_id] = self._refused(
                    record_id, refusal, may_have_applied=state.reply_lost
                )
            return state.settled, refusal
        return state.settled, None

    @staticmethod
    def _refused(record_id: str, refusal: BiginError, *, may_have_applied: bool) -> RecordResult:
        """A record of a call refused as a whole; an earlier attempt whose reply was lost may have applied."""
        if may_have_applied:
            what = "an earlier attempt's reply was lost, so the change may or may not have applied"
            details: dict[str, Any] = {"id": record_id, "may_have_applied": True}
        else:
            what, details = "nothing changed", {"id": record_id}
        return RecordResult(
            id=record_id,
            status=ERROR,
            code=str(getattr(refusal, "code", None) or type(refusal).__name__),
            message=f"the call was refused as a whole, {what}: {refusal.message}",
            details=details,
        )

    @staticmethod
    def _gave_up(record_id: str, error: BaseException, attempts: int) -> RecordResult:
        code = _failure_code(error)
        reason = error.message if isinstance(error, BiginError) else "the replies never mentioned this record"
        reason = reason.rstrip(".")
        return RecordResult(
            id=record_id,
            status=ERROR,
            code=code,
            message=(
                f"gave up after {attempts} attempts: {reason}; the change may or may not have applied, "
                "and running again is safe (tag changes are idempotent)"
            ),
            details={"id": record_id, "attempts": attempts, "may_have_applied": True},
        )

    @staticmethod
    def _outcome(
        plan: TagPlan, finished: dict[int, dict[str, RecordResult]], counters: Counters
    ) -> TagOutcome:
        """One result per id, in input order; `finished` is emptied on the way (it may hold a million)."""
        if all(batch.tag_group == 0 for batch in plan.batches):
            # One tag group: each id is in exactly one call, and the calls follow the input order.
            collected: list[RecordResult] = []
            for batch in plan.batches:
                answered = finished.pop(batch.index, None) or {}
                for record_id in batch.ids:
                    result = answered.get(record_id)
                    collected.append(result if result is not None else not_attempted(record_id, batch.tags))
            results = tuple(collected)
            del collected
        else:
            per_id: dict[str, list[tuple[tuple[str, ...], RecordResult | None]]] = {i: [] for i in plan.ids}
            for batch in plan.batches:
                batch_results = finished.get(batch.index)
                for record_id in batch.ids:
                    per_id[record_id].append(
                        (batch.tags, batch_results.get(record_id) if batch_results else None)
                    )
            results = tuple(combine_group_results(record_id, per_id[record_id]) for record_id in plan.ids)
        succeeded = sum(1 for result in results if result.ok)
        summary = OutcomeSummary(
            action=plan.action,
            module=plan.module,
            tags=plan.tags,
            requested=len(plan.ids),
            succeeded=succeeded,
            failed=len(results) - succeeded,
            api_calls=counters.api_calls,
            retries=counters.retries,
        )
        return TagOutcome(results=results, summary=summary)

    # --- reads ----------------------------------------------------------------------------------------

    def _get(self, path: str, scope: str, query: str | None = None) -> Any:
        request = ApiRequest("GET", API_PREFIX + path, scope=scope, query=query)
        counters = Counters()

        def attempt() -> Any:
            return self._transport.send(request, counters, retry=counters.api_calls > 0).payload

        return self.retry.retrying()(attempt)

    def get_tags(self, module: Any) -> list[dict[str, Any]]:
        """The module's tags ({"id", "name", ...}), as Bigin lists them."""
        payload = self._get(
            "/settings/tags", SCOPE_READ_TAGS, encode_query({"module": resolve_module(module)})
        )
        tags = payload.get("tags") if isinstance(payload, dict) else None
        return [tag for tag in tags if isinstance(tag, dict)] if isinstance(tags, list) else []

    def list_modules(self) -> list[dict[str, Any]]:
        """The modules the token can see ({"api_name", ...})."""
        payload = self._get("/settings/modules", SCOPE_READ_MODULES)
        modules = payload.get("modules") if isinstance(payload, dict) else None
        if not isinstance(modules, list):
            raise UnexpectedResponseError("Bigin listed no modules: check that api_domain is a Bigin server.")
        return [module for module in modules if isinstance(module, dict)]

    def check(self) -> ConnectionCheck:
        """One cheap authenticated call (list modules), for the hook's test_connection."""
        modules = self.list_modules()
        return ConnectionCheck(
            data_center=self._dc.code,
            api_domain=self._api_domain or self._dc.api_domain,
            modules=tuple(str(module.get("api_name")) for module in modules if module.get("api_name")),
        )

    whoami = check

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
