"""BiginHook: an Airflow Connection becomes an authenticated BiginClient.

The hook knows Airflow (connections, secret masking, the connection form); the client knows Bigin. Everything
that talks to Zoho lives in the client, so the hook stays a thin, testable translation of a Connection.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook

from airflow_provider_bigin import connection_form as form
from airflow_provider_bigin.errors import BiginError, ConnectionConfigError
from airflow_provider_bigin.hooks.variable_store import VariableTokenStore, in_airflow_task
from airflow_provider_bigin.version_compat import AirflowNotFoundException

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from airflow_provider_bigin.client import (
        BatchReport,
        BiginClient,
        ClientSettings,
        ResultSink,
        RetryPolicy,
        TagOutcome,
        TokenStore,
    )

log = logging.getLogger(__name__)

#: Hook arguments that override the connection extra of the same name when not None.
_OVERRIDABLE = ("timeout", "max_concurrency", "cache_backend")


def _reads_metadata_database() -> bool:
    """Whether Airflow's connection lookup here includes its metadata database.

    Airflow 3 reads it through the Execution API inside a task (also under dag.test()) and directly in its
    servers (the API server, the scheduler: ``_AIRFLOW_PROCESS_CONTEXT=server``); anywhere else, a plain
    script or a REPL, only environment variables and secrets backends (the Task SDK's
    ``ensure_secrets_backend_loaded``, the same on 3.1 and 3.3).
    """
    return in_airflow_task() or os.environ.get("_AIRFLOW_PROCESS_CONTEXT") == "server"


def _mask_secret(value: str) -> None:
    """Airflow's secret masker, so that a value never reaches a task log in clear."""
    from airflow.sdk.log import mask_secret  # noqa: PLC0415  # the task runner's masker, loaded on first use

    mask_secret(value)


class BiginHook(BaseHook):
    """Interact with Zoho Bigin through an Airflow Connection of type ``bigin``.

    The connection holds the Zoho self client (login: client id, password: client secret) and, in its extra,
    the ``refresh_token``, the ``data_center`` (us, eu, au, in, cn, jp, sa or ca; default us), and optionally
    ``accounts_url``/``api_domain`` overrides, ``timeout``, ``max_concurrency`` and ``cache_backend``.

    :param bigin_conn_id: the connection to use.
    :param timeout: read timeout of each Bigin call in seconds; overrides the connection's ``timeout``.
    :param max_concurrency: calls in flight at once; overrides the connection's ``max_concurrency``.
    :param cache_backend: where access tokens are shared (auto, variable, file or memory); overrides the
        connection's ``cache_backend``. "auto" is an Airflow Variable inside a task, a file elsewhere.
    :param request_retries: how often one Bigin call is re-sent after a transient failure (5xx, 429, a
        dropped connection); 0 sends each call once. Default: the client's (5).
    :param request_retry_max_seconds: no re-send starts later than this many seconds after a call's first
        attempt. Default: the client's (300).
    """

    conn_name_attr = "bigin_conn_id"
    default_conn_name = form.DEFAULT_CONN_ID
    conn_type = form.CONN_TYPE
    hook_name = form.HOOK_NAME

    def __init__(
        self,
        bigin_conn_id: str = form.DEFAULT_CONN_ID,
        *,
        timeout: float | None = None,
        max_concurrency: int | None = None,
        cache_backend: str | None = None,
        request_retries: int | None = None,
        request_retry_max_seconds: float | None = None,
    ) -> None:
        super().__init__()
        self.bigin_conn_id = bigin_conn_id
        self.timeout = timeout
        self.max_concurrency = max_concurrency
        self.cache_backend = cache_backend
        self.request_retries = request_retries
        self.request_retry_max_seconds = request_retry_max_seconds

    def __repr__(self) -> str:
        return f"BiginHook(bigin_conn_id={self.bigin_conn_id!r})"

    # --- the connection -----------------------------------------------------------------------------

    def _read_extras(self, conn: Connection) -> dict[str, Any]:
        """The known extras as ClientSettings arguments; unknown keys are named in a warning, never sent."""
        from airflow_provider_bigin.client.settings import settings_kwargs_from_extra  # noqa: PLC0415

        raw = conn.extra_dejson
        if not isinstance(raw, Mapping):
            raise ConnectionConfigError(
                f"connection {self.bigin_conn_id!r}: its extra must be a JSON object."
            )
        return settings_kwargs_from_extra(raw, source=f"Connection {self.bigin_conn_id!r}")

    def _connection(self) -> Connection:
        """The connection, refused with advice when it cannot be found or is not a Bigin connection."""
        try:
            conn = self.get_connection(self.bigin_conn_id)
        except AirflowNotFoundException:
            raise ConnectionConfigError(self._not_found_message()) from None
        self._check_conn_type(conn.conn_type)
        return conn

    def _not_found_message(self) -> str:
        """Where Airflow looked: outside a task it never reads the metadata database, so say so."""
        conn_id = self.bigin_conn_id
        name = "AIRFLOW_CONN_" + conn_id.upper()
        if _reads_metadata_database():
            return (
                f"connection {conn_id!r} is not defined: create it in the Airflow UI (type "
                f"{form.HOOK_NAME!r}) or set {name} to its JSON (see the README, 'Connection')."
            )
        return (
            f"connection {conn_id!r} is not defined here: outside an Airflow task, Airflow reads connections "
            "only from environment variables and secrets backends, never from its metadata database, so one "
            f"added with `airflow connections add` or in the UI is not seen. Export {name} with the "
            "connection's JSON (see the README, 'Connection'), or run this code inside a task (dag.test() "
            "runs tasks that read the database)."
        )

    def _check_conn_type(self, conn_type: str | None) -> None:
        """Refuse another provider's connection before any of its fields is read as a Bigin one."""
        found = (conn_type or "").strip()
        if found.lower() == form.CONN_TYPE:
            return
        fix = (
            f'set "conn_type": "{form.CONN_TYPE}" in its JSON, start its URI with {form.CONN_TYPE}://, or '
            f"choose the type {form.HOOK_NAME!r} in the Airflow UI"
        )
        if not found:
            raise ConnectionConfigError(
                f"connection {self.bigin_conn_id!r} has no type, and the Bigin hook reads only connections "
                f"of type {form.CONN_TYPE!r}: {fix}. (Airflow finds no type in a URI without a scheme, or "
                "with an underscore in it.)"
            )
        raise ConnectionConfigError(
            f"connection {self.bigin_conn_id!r} is of type {found!r}, not {form.CONN_TYPE!r} "
            f"({form.HOOK_NAME}): {fix}; or pass the id of your Bigin connection as bigin_conn_id."
        )

    def _get_conn_params(self) -> dict[str, Any]:
        """ClientSettings keyword arguments: the connection's fields, overridden by the hook's arguments.

        Overrides that are None are dropped, so that the connection's value (or the client's default) stays.
        """
        from airflow_provider_bigin.client.settings import CREDENTIALS, credential  # noqa: PLC0415

        conn = self._connection()
        params: dict[str, Any] = {
            "client_id": conn.login,
            "client_secret": conn.password,
            **self._read_extras(conn),
        }
        for name in CREDENTIALS:
            params[name] = credential(params.get(name), name, conn_id=self.bigin_conn_id)
            if name != "client_id":  # the client id is not a secret, and support needs to see it
                _mask_secret(params[name])
        overrides = {name: getattr(self, name) for name in _OVERRIDABLE}
        params.update({name: value for name, value in overrides.items() if value is not None})
        return params

    def _settings(self) -> ClientSettings:
        from airflow_provider_bigin.client.settings import ClientSettings  # noqa: PLC0415

        try:
            return ClientSettings(**self._get_conn_params())
        except ConnectionConfigError as error:
            if error.message.startswith(f"connection {self.bigin_conn_id!r}"):
                raise
            raise ConnectionConfigError(f"connection {self.bigin_conn_id!r}: {error.message}") from None

    def _retry_policy(self) -> RetryPolicy | None:
        if self.request_retries is None and self.request_retry_max_seconds is None:
            return None
        from airflow_provider_bigin.client.counts import whole_number  # noqa: PLC0415
        from airflow_provider_bigin.client.retrying import RetryPolicy  # noqa: PLC0415  # tenacity: when used

        defaults = RetryPolicy()
        retries = self.request_retries
        if retries is not None and (whole_number(retries) is None or retries < 0):
            raise ConnectionConfigError(f"request_retries must be a whole number >= 0, not {retries!r}.")
        from airflow_provider_bigin.client.settings import seconds_setting  # noqa: PLC0415

        name = "request_retry_max_seconds"
        seconds = seconds_setting(self.request_retry_max_seconds, name, zero_allowed=True)  # finite, <= 1 h
        return RetryPolicy(
            max_attempts=defaults.max_attempts if retries is None else retries + 1,
            initial_wait=defaults.initial_wait,
            max_wait=defaults.max_wait,
            max_elapsed=defaults.max_elapsed if seconds is None else float(seconds),
        )

    @staticmethod
    def _token_store(cache_backend: str | None) -> TokenStore | None:
        """The Variable store where the connection asks for it, or "auto" inside a task; else the client's."""
        if cache_backend == "variable" or (cache_backend == "auto" and in_airflow_task()):
            return VariableTokenStore()
        return None

    @cached_property
    def client(self) -> BiginClient:
        """The BiginClient of this connection, built once; every access token it sees is masked."""
        from airflow_provider_bigin.client.bigin import BiginClient  # noqa: PLC0415  # requests: when used

        settings = self._settings()
        return BiginClient(
            settings,
            token_store=self._token_store(settings.cache_backend),
            on_new_token=_mask_secret,
            retry=self._retry_policy(),
        )

    def get_conn(self) -> BiginClient:
        """The authenticated client (tokens are fetched on its first call, not here)."""
        return self.client

    # --- delegation ---------------------------------------------------------------------------------

    def remove_tags(
        self,
        module: Any,
        record_ids: Any,
        tag_names: Any,
        *,
        on_batch: Callable[[BatchReport], None] | None = None,
        sink: ResultSink | None = None,
    ) -> TagOutcome:
        """Remove the tags from the records; see BiginClient.run for `on_batch` and `sink`."""
        return self.client.remove_tags(module, record_ids, tag_names, on_batch=on_batch, sink=sink)

    def add_tags(
        self,
        module: Any,
        record_ids: Any,
        tag_names: Any,
        *,
        on_batch: Callable[[BatchReport], None] | None = None,
        sink: ResultSink | None = None,
    ) -> TagOutcome:
        """Add the tags to the records; see BiginClient.run for `on_batch` and `sink`."""
        return self.client.add_tags(module, record_ids, tag_names, on_batch=on_batch, sink=sink)

    def get_tags(self, module: Any) -> list[dict[str, Any]]:
        """The tags Bigin knows in a module ({"id", "name", ...})."""
        return self.client.get_tags(module)

    def test_connection(self) -> tuple[bool, str]:
        """One authenticated call (list modules); the message names the data centre and the API domain.

        A failure returns the typed error's message: the client scrubbed Zoho's text of credentials when it
        read the reply, and the message is scrubbed once more here, as one from outside the package is.
        """
        try:
            check = self.client.check()
        except BiginError as error:
            return False, f"{type(error).__name__}: {self._scrub(error.message)}"
        except Exception as error:  # the UI shows the message instead of a stack trace
            return False, f"{type(error).__name__}: {self._scrub(str(error))}"
        return True, self._scrub(check.message)

    def _scrub(self, text: str) -> str:
        """Belt and braces: blank out the connection's secrets and the access token the client holds."""
        from airflow_provider_bigin.client.scrubbing import scrub_text  # noqa: PLC0415  # as the client is

        secrets: list[str] = []
        client = self.__dict__.get("client")  # only a client already built: building one may fail
        if client is not None:
            secrets.extend(client.tokens.secret_values())
        try:
            params = self._get_conn_params()
        except Exception:
            params = {}
        secrets.extend(
            value
            for value in (params.get("client_secret"), params.get("refresh_token"))
            if isinstance(value, str)
        )
        return scrub_text(text, secrets)

    # --- the connection form (Airflow 3.1; 3.2+ reads provider info and never calls these) ------------

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """The extra fields, built from connection_form.EXTRA_FIELDS like the 3.2+ ``conn-fields``.

        Only the field classes and validators that Airflow's API server knows how to render are used
        (its HookMetaService mocks exactly these when Flask-AppBuilder is not installed). A JSON "number"
        becomes a text field: the 3.1 form has no decimal field, and the hook parses the text.
        """
        # Imported here: only Airflow 3.1's API server has (or mocks) these, and never at DAG-parse time.
        from flask_appbuilder.fieldwidgets import (  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415
            BS3PasswordFieldWidget,
            BS3TextFieldWidget,
        )
        from flask_babel import lazy_gettext  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415
        from wtforms import (  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: PLC0415
            IntegerField,
            PasswordField,
            StringField,
        )
        from wtforms.validators import (  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: PLC0415
            Optional,
            any_of,
        )

        widgets: dict[str, Any] = {}
        for name, (label, description, schema) in form.EXTRA_FIELDS.items():
            types = schema.get("type", "string")
            types = [types] if isinstance(types, str) else list(types)
            validators: list[Any] = [Optional()]
            if "enum" in schema:
                validators.append(any_of(list(schema["enum"])))
            common: dict[str, Any] = {"description": description, "default": schema.get("default")}
            if schema.get("format") == "password":
                widgets[name] = PasswordField(
                    lazy_gettext(label), validators=validators, widget=BS3PasswordFieldWidget(), **common
                )
            elif "integer" in types:
                widgets[name] = IntegerField(
                    lazy_gettext(label), validators=validators, widget=BS3TextFieldWidget(), **common
                )
            else:
                widgets[name] = StringField(
                    lazy_gettext(label), validators=validators, widget=BS3TextFieldWidget(), **common
                )
        return widgets

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Hidden standard fields, labels and placeholders: the same table as provider info."""
        return form.ui_field_behaviour()
