"""RemoveTagsOperator and AddTagsOperator: tag changes on Bigin records, with every record's outcome in XCom.

DAG files are parsed often and offline, so this module imports only the Task SDK and small pure-Python parts
of the provider; the hook, the client and ``requests`` are imported when a task runs. The plan is built once,
here: its counts decide the guards before any client exists, and the same plan is what the client runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from airflow.sdk import BaseOperator

from airflow_provider_bigin.client.counts import whole_number
from airflow_provider_bigin.connection_form import DEFAULT_CONN_ID
from airflow_provider_bigin.errors import BiginError, InvalidInputError
from airflow_provider_bigin.operators.partial_failure import (
    FAIL,
    WARN,
    check_partial_failure_policy,
    describe_failures,
    fails_for_good,
    failure_counts,
    partial_failure_error,
)
from airflow_provider_bigin.version_compat import AirflowFailException, AirflowSkipException

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_bigin.client import BatchReport, TagOutcome
    from airflow_provider_bigin.hooks.bigin import BiginHook

#: XCom key of the run's summary; the per-record results are the return value.
SUMMARY_KEY = "summary"
RETURN_KEY = "return_value"


def _check_optional_count(name: str, value: object, *, minimum: int) -> None:
    if value is not None and ((count := whole_number(value)) is None or count < minimum):
        raise InvalidInputError(f"{name} must be None or a whole number >= {minimum}, not {value!r}.")


def _check_flag(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidInputError(f"{name} must be True or False, not {value!r}.")


class BiginTagsOperator(BaseOperator):
    """Shared base of the tag operators: inputs, guards, progress, XComs and the partial-failure policy.

    Subclasses only name their ``action``. See RemoveTagsOperator for the arguments.
    """

    action: ClassVar[str]
    template_fields: Sequence[str] = ("module", "record_ids", "tag_names")
    ui_color = "#cfeedd"

    def __init__(
        self,
        *,
        module: str,
        record_ids: Any,
        tag_names: Any,
        bigin_conn_id: str = DEFAULT_CONN_ID,
        on_partial_failure: str = FAIL,
        max_records: int | None = None,
        dry_run: bool = False,
        skip_when_empty: bool = False,
        timeout: float | None = None,
        max_concurrency: int | None = None,
        request_retries: int | None = None,
        request_retry_max_seconds: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.module = module
        self.record_ids = record_ids
        self.tag_names = tag_names
        self.bigin_conn_id = bigin_conn_id
        self.on_partial_failure = check_partial_failure_policy(on_partial_failure)
        _check_optional_count("max_records", max_records, minimum=0)
        self.max_records = max_records
        _check_flag("dry_run", dry_run)
        # Not `self.dry_run`: BaseOperator.dry_run() is a method (render templates only) that must stay.
        self.is_dry_run = dry_run
        _check_flag("skip_when_empty", skip_when_empty)
        self.skip_when_empty = skip_when_empty
        _check_optional_count("max_concurrency", max_concurrency, minimum=1)
        _check_optional_count("request_retries", request_retries, minimum=0)
        self.timeout = timeout
        self.max_concurrency = max_concurrency
        self.request_retries = request_retries
        self.request_retry_max_seconds = request_retry_max_seconds

    @cached_property
    def hook(self) -> BiginHook:
        from airflow_provider_bigin.hooks.bigin import BiginHook  # noqa: PLC0415  # keeps DAG parsing cheap

        return BiginHook(
            self.bigin_conn_id,
            timeout=self.timeout,
            max_concurrency=self.max_concurrency,
            request_retries=self.request_retries,
            request_retry_max_seconds=self.request_retry_max_seconds,
        )

    def execute(self, context: Context) -> list[dict[str, Any]]:
        from airflow_provider_bigin.client.plan import build_plan  # noqa: PLC0415  # keeps DAG parsing cheap
        from airflow_provider_bigin.client.assembly import dry_run_outcome  # noqa: PLC0415

        try:
            plan = build_plan(self.action, self.module, self.record_ids, self.tag_names)
            if not plan.ids:
                return self._nothing_to_do(context, plan.module, list(plan.tags))
            if self.max_records is not None and len(plan.ids) > self.max_records:
                raise InvalidInputError(
                    f"{len(plan.ids)} distinct record ids exceed max_records={self.max_records}: nothing was "
                    "sent. Check the upstream query, or raise max_records if this many changes are meant."
                )
            client = self.hook.get_conn()
        except BiginError as error:
            self._raise_for_task(error)
        self.log.info(
            "%s on %s: %d records, tags %s, in %d calls%s.",
            plan.action,
            plan.module,
            len(plan.ids),
            list(plan.tags),
            plan.calls,
            " (dry run: nothing will be sent)" if self.is_dry_run else "",
        )
        if self.is_dry_run:
            return self._finish(context, dry_run_outcome(plan))
        try:
            outcome = client.run(plan, on_batch=self._log_batch)
        except BiginError as error:
            if error.outcome is not None:
                self._push(context, error.outcome)
                self._log_summary(error.outcome)
            self._raise_for_task(error)
        return self._finish(context, outcome)

    # --- steps ----------------------------------------------------------------------------------------

    def _nothing_to_do(self, context: Context, module: str, tags: list[str]) -> list[dict[str, Any]]:
        message = f"No record ids to {self.action.replace('_', ' ')} on {module}: Bigin was not called."
        if self.skip_when_empty:
            raise AirflowSkipException(message)
        self.log.info(message)
        summary = {
            "action": self.action,
            "module": module,
            "tags": tags,
            "requested": 0,
            "succeeded": 0,
            "failed": 0,
            "api_calls": 0,
            "retries": 0,
            "dry_run": self.is_dry_run,
            "failed_by_code": {},
        }
        context["ti"].xcom_push(key=SUMMARY_KEY, value=summary)
        return []

    def _log_batch(self, report: BatchReport) -> None:
        self.log.info(
            "batch %d/%d: %d ids, %d done, %d failed",
            report.index,
            report.total,
            report.size,
            report.succeeded,
            report.failed,
        )

    @staticmethod
    def _summary(outcome: TagOutcome) -> dict[str, Any]:
        return {**outcome.summary.to_dict(), "failed_by_code": failure_counts(outcome.failed)}

    def _push(self, context: Context, outcome: TagOutcome) -> None:
        """Both XComs, for the paths where the task fails and no return value would be pushed."""
        ti = context["ti"]
        ti.xcom_push(key=SUMMARY_KEY, value=self._summary(outcome))
        if self.do_xcom_push:
            ti.xcom_push(key=RETURN_KEY, value=outcome.to_dicts())

    def _log_summary(self, outcome: TagOutcome) -> None:
        summary = outcome.summary
        self.log.info(
            "%s on %s%s: %d requested, %d succeeded, %d failed, %d API calls, %d retries.",
            summary.action,
            summary.module,
            " (dry run)" if summary.dry_run else "",
            summary.requested,
            summary.succeeded,
            summary.failed,
            summary.api_calls,
            summary.retries,
        )

    def _finish(self, context: Context, outcome: TagOutcome) -> list[dict[str, Any]]:
        self._log_summary(outcome)
        failed = outcome.failed
        if failed and self.on_partial_failure == FAIL:
            self._push(context, outcome)
            raise partial_failure_error(failed, outcome.summary.requested)
        if failed and self.on_partial_failure == WARN:
            self.log.warning("%s", describe_failures(failed, outcome.summary.requested))
        context["ti"].xcom_push(key=SUMMARY_KEY, value=self._summary(outcome))
        return outcome.to_dicts()

    @staticmethod
    def _raise_for_task(error: BiginError) -> NoReturn:
        """A permanent error fails the task without retries; a transient one lets Airflow retry it."""
        if fails_for_good(error):
            raise AirflowFailException(f"{type(error).__name__}: {error.message}") from error
        raise error


class RemoveTagsOperator(BiginTagsOperator):
    """Remove tags from Bigin records and return every record's outcome.

    Ids are normalised (digit strings, duplicates merged, input order kept) and sent in calls of at most 500
    ids and 10 tags, with retries of transient failures. Removing a tag a record does not carry succeeds.

    :param module: Bigin module API name: Contacts, Pipelines, Accounts, Products, Tasks, Events or Calls
        (Companies and Deals are accepted). (templated)
    :param record_ids: the records: a list of ids (str or int), a comma-separated string, a JSON array
        string, the rows of a one-column SQL query, a list of dicts with an ``id`` key, or an XComArg of any
        of these. Anything else fails the task before any call. (templated)
    :param tag_names: the tags: a list of names or a comma-separated string. (templated)
    :param bigin_conn_id: the Bigin connection.
    :param on_partial_failure: what to do when some records fail: ``"fail"`` (default: every call still
        runs and both XComs are pushed, then the task fails naming the failed ids and codes; it is not
        retried when no failure can pass on a retry), ``"warn"`` (log them and succeed) or ``"ignore"``.
    :param max_records: refuse, before any call, to change more distinct records than this.
    :param dry_run: validate and plan, send nothing (no token either); every result has status
        ``"skipped"`` and code ``"DRY_RUN"``, and the summary says ``dry_run: True``.
    :param skip_when_empty: with no record ids, skip the task instead of succeeding without a call.
    :param timeout: read timeout of each call in seconds (overrides the connection's).
    :param max_concurrency: calls in flight at once (overrides the connection's).
    :param request_retries: re-sends of one call after a transient failure (5xx, 429, dropped
        connection); default 5. Task-level ``retries`` still apply on top.
    :param request_retry_max_seconds: stop re-sending one call after this many seconds; default 300.
    :return: one dict per distinct id in input order: ``id``, ``status`` ("success" or "error"), ``code``,
        ``message``, ``details``. A second XCom, key ``summary``, holds ``action``, ``module``, ``tags``,
        ``requested``, ``succeeded``, ``failed``, ``failed_by_code``, ``api_calls``, ``retries``, ``dry_run``.

    .. code-block:: python

        find = SQLExecuteQueryOperator(
            task_id="find_unsubscribed",
            conn_id="warehouse",
            sql="SELECT CAST(bigin_id AS TEXT) FROM contacts WHERE unsubscribed",
        )
        RemoveTagsOperator(
            task_id="untag_newsletter",
            module="Contacts",
            record_ids=find.output,
            tag_names=["Newsletter"],
            max_records=5000,
        )
    """

    action = "remove_tags"


class AddTagsOperator(BiginTagsOperator):
    """Add tags to Bigin records and return every record's outcome; tags that do not exist are created.

    Takes the same arguments as RemoveTagsOperator and returns the same XComs.

    :param module: Bigin module API name. (templated)
    :param record_ids: the records, in any shape RemoveTagsOperator accepts. (templated)
    :param tag_names: the tags: a list of names or a comma-separated string. (templated)
    :param bigin_conn_id: the Bigin connection.
    :param on_partial_failure: ``"fail"`` (default), ``"warn"`` or ``"ignore"``.
    :param max_records: refuse, before any call, to change more distinct records than this.
    :param dry_run: validate and plan, send nothing.
    :param skip_when_empty: with no record ids, skip the task instead of succeeding without a call.
    :param timeout: read timeout of each call in seconds.
    :param max_concurrency: calls in flight at once.
    :param request_retries: re-sends of one call after a transient failure; default 5.
    :param request_retry_max_seconds: stop re-sending one call after this many seconds; default 300.
    :return: one dict per distinct id in input order (``id``, ``status``, ``code``, ``message``,
        ``details``); the ``summary`` XCom as RemoveTagsOperator's.

    .. code-block:: python

        @task
        def reviewed_per_module() -> list[dict[str, object]]:
            return [
                {"module": "Contacts", "record_ids": ["2445013000000402006"]},
                {"module": "Pipelines", "record_ids": "2445013000000512001,2445013000000512002"},
            ]


        AddTagsOperator.partial(task_id="tag_reviewed", tag_names=["Reviewed"]).expand_kwargs(
            reviewed_per_module()
        )
    """

    action = "add_tags"
