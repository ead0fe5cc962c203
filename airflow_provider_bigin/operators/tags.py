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
from airflow_provider_bigin.client.plurals import count_noun
from airflow_provider_bigin.connection_form import DEFAULT_CONN_ID
from airflow_provider_bigin.errors import BiginError, InvalidInputError
from airflow_provider_bigin.operators.partial_failure import (
    FAIL,
    WARN,
    check_partial_failure_policy,
    describe_failures,
    fails_for_good,
    partial_failure_error,
)
from airflow_provider_bigin.operators.returned_records import (
    AUTO,
    NONE,
    ReturnChoice,
    auto_warning,
    check_return_records,
    choose_return,
)
from airflow_provider_bigin.version_compat import AirflowFailException, AirflowSkipException

if TYPE_CHECKING:
    import jinja2
    from airflow.sdk import Context

    from airflow_provider_bigin.client import BatchReport, BiginClient, RecordResult, TagOutcome, TagPlan
    from airflow_provider_bigin.hooks.bigin import BiginHook
    from airflow_provider_bigin.lineage.uris import ModuleRef
    from airflow_provider_bigin.operators.results_file import ResultsFile

#: XCom key of the run's summary; the per-record results are the return value.
SUMMARY_KEY = "summary"
RETURN_KEY = "return_value"


def _check_optional_count(name: str, value: object, *, minimum: int) -> None:
    if value is not None and ((count := whole_number(value)) is None or count < minimum):
        raise InvalidInputError(f"{name} must be None or a whole number >= {minimum}, not {value!r}.")


_FLAG_WORDS = {"true": True, "false": False}  # what a template renders of a bool, in any case


def _flag(name: str, value: object) -> bool:
    """True or False, or the text a template renders them to ("True", "False")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _FLAG_WORDS:
        return _FLAG_WORDS[value.strip().lower()]
    raise InvalidInputError(f"{name} must be True or False, not {value!r}.")


def _is_template(value: object) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _check_literals(module: object, tag_names: object) -> None:
    """A misspelt literal module or an empty literal tag list fails when the DAG file is parsed.

    The run-time functions make the message, so the DAG processor and the task say the same thing; a
    template, an XComArg or a list holding a template is left for run time.
    """
    from airflow_provider_bigin.client.inputs import normalise_tag_names, resolve_module  # noqa: PLC0415

    if isinstance(module, str) and not _is_template(module):
        resolve_module(module)
    if not isinstance(tag_names, (str, list, tuple)):
        return  # an XComArg: run time
    items = [tag_names] if isinstance(tag_names, str) else tag_names
    if all(isinstance(item, str) and not _is_template(item) for item in items):  # else: run time
        normalise_tag_names(tag_names)


def _plain_ids(content: object) -> bool:
    """A list of ints and brace-free strings: Jinja would give each element back unchanged."""
    return isinstance(content, (list, tuple)) and all(
        type(item) is int or (type(item) is str and "{" not in item) for item in content
    )


def _discard(results: Sequence[RecordResult]) -> None:
    """The sink of a run whose results go neither to XCom nor to a file: counts and failures are kept."""


class BiginTagsOperator(BaseOperator):
    """Shared base of the tag operators: inputs, guards, progress, XComs and the partial-failure policy.

    Subclasses only name their ``action``. See RemoveTagsOperator for the arguments.
    """

    action: ClassVar[str]
    template_fields: Sequence[str] = (
        "module",
        "record_ids",
        "tag_names",
        "bigin_conn_id",
        "is_dry_run",
        "return_records",
        "results_path",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {"record_ids": "json", "tag_names": "json"}
    ui_color = "#cfeedd"
    #: The module this run changes and its figures, kept for OpenLineage, which asks after execute.
    _lineage_ref: ModuleRef | None = None
    _lineage_figures: dict[str, Any] | None = None

    def __init__(
        self,
        *,
        module: str,
        record_ids: Any,
        tag_names: Any,
        bigin_conn_id: str = DEFAULT_CONN_ID,
        on_partial_failure: str = FAIL,
        max_records: int | None = None,
        dry_run: bool | str = False,
        skip_when_empty: bool = False,
        timeout: float | None = None,
        max_concurrency: int | None = None,
        request_retries: int | None = None,
        request_retry_max_seconds: float | None = None,
        return_records: str = AUTO,
        results_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_literals(module, tag_names)
        self.module = module
        self.record_ids = record_ids
        self.tag_names = tag_names
        self.bigin_conn_id = bigin_conn_id
        self.on_partial_failure = check_partial_failure_policy(on_partial_failure)
        _check_optional_count("max_records", max_records, minimum=0)
        self.max_records = max_records
        if not _is_template(dry_run):
            _flag("dry_run", dry_run)
        # Not `self.dry_run`: BaseOperator.dry_run() is a method (render templates only) that must stay.
        self.is_dry_run: bool | str = dry_run
        self.skip_when_empty = _flag("skip_when_empty", skip_when_empty)
        _check_optional_count("max_concurrency", max_concurrency, minimum=1)
        _check_optional_count("request_retries", request_retries, minimum=0)
        self.timeout = timeout
        self.max_concurrency = max_concurrency
        self.request_retries = request_retries
        self.request_retry_max_seconds = request_retry_max_seconds
        if not _is_template(return_records):
            check_return_records(return_records)  # a typo fails when the DAG file is parsed
        self.return_records = return_records
        self.results_path = results_path

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

    @property
    def _dry_run(self) -> bool:
        """dry_run as given, or as its template rendered it ("{{ params.dry_run }}" gives "True")."""
        return _flag("dry_run", self.is_dry_run)

    def render_template(
        self,
        content: Any,
        context: Context,
        jinja_env: jinja2.Environment | None = None,
        seen_oids: set[int] | None = None,
    ) -> Any:
        """A literal list of 100,000 ids skips Jinja, which would render it element by element (30 s)."""
        if _plain_ids(content):
            return content
        return super().render_template(content, context, jinja_env, seen_oids)

    def execute(self, context: Context) -> list[dict[str, Any]] | None:
        from airflow_provider_bigin.client.plan import build_plan  # noqa: PLC0415  # keeps DAG parsing cheap

        try:
            dry_run = self._dry_run
            requested = check_return_records(self.return_records)
            plan = build_plan(self.action, self.module, self.record_ids, self.tag_names)
            choice = choose_return(requested, len(plan.ids))
            results_file = self._results_file()
            if not plan.ids:
                return self._nothing_to_do(context, plan, choice, results_file)
            if self.max_records is not None and len(plan.ids) > self.max_records:
                raise InvalidInputError(
                    f"{count_noun(len(plan.ids), 'distinct record id')} "
                    f"exceed{'s' if len(plan.ids) == 1 else ''} max_records={self.max_records}: nothing was "
                    "sent. Check the upstream query, or raise max_records if this many changes are meant."
                )
            client = self.hook.get_conn()
            self._check_outlets(plan.module, client)
        except BiginError as error:
            self._raise_for_task(error)
        self.log.info(
            "%s on %s: %s, tags %s, in %s%s.",
            plan.action,
            plan.module,
            count_noun(len(plan.ids), "record"),
            list(plan.tags),
            count_noun(plan.calls, "call"),
            " (dry run: nothing will be sent)" if dry_run else "",
        )
        if choice.limit is not None:
            self.log.warning("%s", auto_warning(choice, results_file.url if results_file else None))
        try:
            outcome = self._run(None if dry_run else client, plan, choice, results_file)
        except BiginError as error:
            if error.outcome is not None:
                self._push_failing(context, error.outcome, choice, results_file)
                self._log_summary(error.outcome)
            self._raise_for_task(error)
        return self._finish(context, outcome, choice, results_file)

    def _results_file(self) -> ResultsFile | None:
        if self.results_path is None:
            return None
        from airflow_provider_bigin.operators.results_file import ResultsFile  # noqa: PLC0415

        return ResultsFile(self.results_path)

    def _run(
        self,
        client: BiginClient | None,
        plan: TagPlan,
        choice: ReturnChoice,
        results_file: ResultsFile | None,
    ) -> TagOutcome:
        """The run, its results streamed to the file (or dropped) unless return_value needs them all."""
        from airflow_provider_bigin.client.assembly import dry_run_outcome  # noqa: PLC0415

        if results_file is None:
            if client is None:
                return dry_run_outcome(plan)
            sink = None if choice.keeps_all else _discard
            return client.run(plan, on_batch=self._log_batch, sink=sink)
        with results_file:
            if client is None:
                outcome = dry_run_outcome(plan)
                results_file(outcome.results)
                return outcome
            try:
                return client.run(
                    plan, on_batch=self._log_batch, sink=results_file, keep_all=choice.keeps_all
                )
            finally:
                written = count_noun(results_file.lines, "record's", "records'")
                self.log.info("%s outcomes written to %s.", written, results_file.url)

    # --- steps ----------------------------------------------------------------------------------------

    def _nothing_to_do(
        self, context: Context, plan: TagPlan, choice: ReturnChoice, results_file: ResultsFile | None
    ) -> list[dict[str, Any]] | None:
        """No ids: no call, an empty results file (so that readers downstream find one) and the summary."""
        from airflow_provider_bigin.client.results import OutcomeSummary, TagOutcome  # noqa: PLC0415

        message = f"No record ids to {self.action.replace('_', ' ')} on {plan.module}: Bigin was not called."
        if self.skip_when_empty:
            raise AirflowSkipException(message)
        self.log.info(message)
        if results_file is not None:
            with results_file:
                pass
        summary = OutcomeSummary(self.action, plan.module, plan.tags, 0, 0, 0, 0, 0, dry_run=self._dry_run)
        return self._push(context, TagOutcome(results=(), summary=summary), choice, results_file)

    def _log_batch(self, report: BatchReport) -> None:
        self.log.info(
            "batch %d/%d: %s, %d done, %d failed",
            report.index,
            report.total,
            count_noun(report.size, "id"),
            report.succeeded,
            report.failed,
        )

    def _returned(self, outcome: TagOutcome, choice: ReturnChoice) -> list[dict[str, Any]] | None:
        if choice.mode == NONE:
            return None
        records = outcome.results if choice.keeps_all else outcome.failed
        if choice.limit is not None:
            records = records[: choice.limit]
        return [result.to_dict() for result in records]

    def _summary(
        self,
        outcome: TagOutcome,
        choice: ReturnChoice,
        results_file: ResultsFile | None,
        returned: list[dict[str, Any]] | None,
    ) -> dict[str, Any]:
        reason = choice.reason
        if choice.limit is not None and len(outcome.failed) > choice.limit:
            reason += f"; {len(outcome.failed):,} failed, the first {choice.limit:,} returned"
        return {
            **outcome.summary.to_dict(),
            "return_records": choice.mode,
            "return_records_reason": reason,
            "records_returned": 0 if returned is None else len(returned),
            "results_path": results_file.url if results_file else None,
            "results_lines": results_file.lines if results_file else None,
        }

    def _push(
        self, context: Context, outcome: TagOutcome, choice: ReturnChoice, results_file: ResultsFile | None
    ) -> list[dict[str, Any]] | None:
        """The summary XCom; and return_value too on the paths where the task fails (returned otherwise)."""
        returned = self._returned(outcome, choice) if self.do_xcom_push else None
        ti = context["ti"]
        ti.xcom_push(key=SUMMARY_KEY, value=self._summary(outcome, choice, results_file, returned))
        self._record_lineage(context, outcome)
        return returned

    def _push_failing(
        self, context: Context, outcome: TagOutcome, choice: ReturnChoice, results_file: ResultsFile | None
    ) -> None:
        returned = self._push(context, outcome, choice, results_file)
        if returned is not None:
            context["ti"].xcom_push(key=RETURN_KEY, value=returned)

    def _log_summary(self, outcome: TagOutcome) -> None:
        summary = outcome.summary
        self.log.info(
            "%s on %s%s: %d requested, %d succeeded, %d failed, %s, %s.",
            summary.action,
            summary.module,
            " (dry run)" if summary.dry_run else "",
            summary.requested,
            summary.succeeded,
            summary.failed,
            count_noun(summary.api_calls, "API call"),
            count_noun(summary.retries, "retry", "retries"),
        )

    def _finish(
        self, context: Context, outcome: TagOutcome, choice: ReturnChoice, results_file: ResultsFile | None
    ) -> list[dict[str, Any]] | None:
        self._log_summary(outcome)
        failed = outcome.failed
        if failed and self.on_partial_failure == FAIL:
            self._push_failing(context, outcome, choice, results_file)
            raise partial_failure_error(failed, outcome.summary.requested)
        if failed and self.on_partial_failure == WARN:
            self.log.warning("%s", describe_failures(failed, outcome.summary.requested))
        return self._push(context, outcome, choice, results_file)

    # --- assets and lineage ----------------------------------------------------------------------------

    def _check_outlets(self, module: str, client: BiginClient) -> None:
        """Refuse, before any call, a bigin:// outlet naming another module or host than this run's."""
        from airflow_provider_bigin.lineage.uris import ModuleRef, api_host  # noqa: PLC0415
        from airflow_provider_bigin.operators.outlets import check_outlets  # noqa: PLC0415

        ref = ModuleRef(api_host(client.data_center.api_domain), module)
        check_outlets(self.outlets, ref)
        self._lineage_ref = ref

    def _record_lineage(self, context: Context, outcome: TagOutcome) -> None:
        """The figures on this run's outlet events, and kept for OpenLineage."""
        from airflow_provider_bigin.lineage.uris import ModuleRef, api_host  # noqa: PLC0415
        from airflow_provider_bigin.operators import outlets  # noqa: PLC0415

        if self._lineage_ref is None:  # no ids, so no client yet: the connection still names the host
            if not outlets.takes_events(self.outlets):
                return
            try:
                api_domain = self.hook.get_conn().data_center.api_domain
            except BiginError as error:
                self.log.warning("No asset event figures or lineage for this run: %s", error.message)
                return
            self._lineage_ref = ModuleRef(api_host(api_domain), outcome.summary.module)
        self._lineage_figures = outlets.event_extra(outcome.summary.to_dict())
        outlets.record_outlet_events(
            context["outlet_events"], self.outlets, self._lineage_ref, self._lineage_figures
        )

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """The module as the output dataset, with the run's figures (OpenLineage calls this after execute)."""
        from airflow.providers.openlineage.extractors import OperatorLineage  # noqa: PLC0415

        from airflow_provider_bigin.lineage.openlineage import tag_lineage  # noqa: PLC0415

        if self._lineage_ref is None:
            return OperatorLineage()
        return tag_lineage(self._lineage_ref, self._lineage_figures)

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> Any:
        """As on complete: a failed run still reports what it did before it failed, when it got that far."""
        return self.get_openlineage_facets_on_complete(task_instance)

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
        (Companies and Deals are accepted). A literal that names no module fails when the DAG file is
        parsed, with the message the task would give. (templated)
    :param record_ids: the records: a list of ids (str or int), a comma-separated string, a JSON array
        string, the rows of a one-column SQL query, a list of dicts with an ``id`` key, or an XComArg of any
        of these. Anything else fails the task before any call. (templated)
    :param tag_names: the tags: a list of names or a comma-separated string; a literal that is empty or
        holds a name Bigin cannot take fails when the DAG file is parsed. (templated)
    :param bigin_conn_id: the Bigin connection. (templated)
    :param on_partial_failure: what to do when some records fail: ``"fail"`` (default: every call still
        runs and both XComs are pushed, then the task fails naming the failed ids and codes; it is not
        retried when no failure can pass on a retry), ``"warn"`` (log them and succeed) or ``"ignore"``.
    :param max_records: refuse, before any call, to change more distinct records than this.
    :param dry_run: validate and plan, send nothing (no token either); every result has status
        ``"skipped"`` and code ``"DRY_RUN"``, and the summary says ``dry_run: True``. (templated:
        ``"{{ params.dry_run }}"`` renders to ``"True"`` or ``"False"``, read as the flag; shown in the UI's
        rendered fields as ``is_dry_run``)
    :param skip_when_empty: with no record ids, skip the task instead of succeeding without a call.
    :param timeout: read timeout of each call in seconds (overrides the connection's).
    :param max_concurrency: calls in flight at once (overrides the connection's).
    :param request_retries: re-sends of one call after a transient failure (5xx, 429, dropped
        connection); default 5. Task-level ``retries`` still apply on top.
    :param request_retry_max_seconds: stop re-sending one call after this many seconds; default 300.
    :param return_records: what ``return_value`` holds: ``"all"`` (every record), ``"failed"`` (the records
        that did not succeed), ``"none"``, or ``"auto"`` (default): every record up to 20,000 records, above
        that only the failed ones (at most 20,000), with a WARNING. An XCom passes through the Execution API,
        whose 5-second timeout a 100,000-record value misses. (templated)
    :param results_path: an object storage URL (``file://``, ``s3://``, ``gs://`` ...) that receives every
        record's outcome as JSON Lines, one ``return_value``-shaped dict a line, written as calls settle; ids
        never sent get a ``NOT_ATTEMPTED`` line. (templated: ``".../{{ run_id }}.jsonl"``)
    :return: per ``return_records``, dicts in input order: ``id``, ``status`` ("success" or "error"),
        ``code``, ``message``, ``details``. A second XCom, key ``summary``, holds ``action``, ``module``,
        ``tags``, ``requested``, ``succeeded``, ``failed``, ``failed_by_code``, ``api_calls``, ``retries``,
        ``dry_run``, ``return_records`` (the choice applied), ``return_records_reason``,
        ``records_returned``, ``results_path`` and ``results_lines``.

    A literal list in ``record_ids`` is used as it is, not rendered id by id; for large lists, pass the
    upstream task's XComArg (``find.output``) rather than a literal.

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
    :param tag_names: the tags: a list of names or a comma-separated string; a literal that is empty or
        holds a name Bigin cannot take fails when the DAG file is parsed. (templated)
    :param bigin_conn_id: the Bigin connection. (templated)
    :param on_partial_failure: ``"fail"`` (default), ``"warn"`` or ``"ignore"``.
    :param max_records: refuse, before any call, to change more distinct records than this.
    :param dry_run: validate and plan, send nothing. (templated)
    :param skip_when_empty: with no record ids, skip the task instead of succeeding without a call.
    :param timeout: read timeout of each call in seconds.
    :param max_concurrency: calls in flight at once.
    :param request_retries: re-sends of one call after a transient failure; default 5.
    :param request_retry_max_seconds: stop re-sending one call after this many seconds; default 300.
    :param return_records: ``"auto"`` (default), ``"all"``, ``"failed"`` or ``"none"``, as for
        RemoveTagsOperator. (templated)
    :param results_path: an object storage URL receiving every record's outcome as JSON Lines. (templated)
    :return: per ``return_records``, dicts in input order (``id``, ``status``, ``code``, ``message``,
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
