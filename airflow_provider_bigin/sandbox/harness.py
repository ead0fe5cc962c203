"""``Sandbox``: start a sandbox, point a connection at it, arrange its state and read its counters.

Every method after start-up talks to the server's control endpoints over HTTP (stdlib ``urllib``), so a
sandbox in a background thread and one in a subprocess behave the same; the state lives on the server.

.. code-block:: python

    with Sandbox(faults="flaky") as sb:
        os.environ.update(sb.connection_env())
        ...  # run the DAG or the client under test
        assert sb.tags("Contacts", "2445013000000402006") == []
        assert sb.stats()["calls"]["remove_tags"] >= 1

``Sandbox.attach(url)`` gives the same methods on a sandbox started elsewhere (``bigin-sandbox`` in another
terminal), without owning it: leaving the ``with`` block lets go of it and leaves it running.
"""

from __future__ import annotations

import contextlib
import importlib
import ipaddress
import json
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from airflow_provider_bigin.sandbox.accounts import TokenPolicy
from airflow_provider_bigin.sandbox.config import CONTROL_PREFIX, DEFAULT_MAX_CONCURRENCY, SandboxConfig
from airflow_provider_bigin.sandbox.connection import (
    DEFAULT_CONN_ID,
    connection_env_name,
    connection_json,
    sandbox_connection,
)
from airflow_provider_bigin.sandbox.faults import FaultSpec, fault_profile, profile_to_text
from airflow_provider_bigin.sandbox.seed import SeedData, SeedSource, load_seed
from airflow_provider_bigin.sandbox.server import ProcessServer, ThreadServer
from airflow_provider_bigin.sandbox.store import DEFAULT_TAGS_REPORT, TagsReport

CONTROL_TIMEOUT_SECONDS = 30.0
# No proxies, whatever the environment says: the sandbox is always on loopback.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class SandboxError(RuntimeError):
    """The sandbox refused a control request, or is not running; the message says which and why."""


INSTALL_SANDBOX_EXTRA = "pip install 'airflow-provider-bigin[sandbox]'"
SERVER_PACKAGES = ("fastapi", "starlette", "uvicorn")


class SandboxExtraMissingError(SandboxError):
    """No sandbox can start: FastAPI and uvicorn are an extra, as only a running sandbox needs them."""


def require_server_packages() -> None:
    """Fail before starting anything, naming the fix, when the ``sandbox`` extra is not installed."""
    for name in SERVER_PACKAGES:
        try:
            importlib.import_module(name)
        except ImportError as error:
            raise SandboxExtraMissingError(
                f"the Bigin sandbox needs FastAPI and uvicorn to serve, and {name} cannot be imported "
                f"({error}). Install them with the sandbox extra: {INSTALL_SANDBOX_EXTRA}"
            ) from None


class Sandbox:
    """A Zoho Accounts + Bigin API on 127.0.0.1 (see the module docstring); every option is keyword-only.

    :param port: port on 127.0.0.1; 0 picks a free one.
    :param seed: None for the built-in demo data, a JSON seed file, or the parsed seed (see ``seed.py``).
    :param latency_ms: added to every API and token call; ``jitter_ms`` varies it (default: a fifth of it).
    :param faults: None, a named profile ("flaky", "soak"), a ``FaultProfile`` or a dict of shares such as
        ``{"5xx": 0.1, "429": 0.05, "drop": 0.02, "drop_after": 0.01, "slow": 0.01, "slow_seconds": 5}``.
    :param fault_seed: seed of the fault draws: the same seed gives the same faults in the same order.
    :param token_ttl: access token lifetime in seconds (Zoho: 3600).
    :param lockout_seconds: how long a tripped token budget locks a refresh token out.
    :param grant_limit: grants per refresh token allowed within ``grant_window_seconds`` (Zoho: 10 in 600).
    :param max_live_tokens: live access tokens per refresh token; one more evicts the oldest (Zoho: 15).
    :param grant_code_ttl: lifetime of a self-client code from ``issue_grant_code``.
    :param max_concurrency: API calls in flight for the whole org past which the sandbox answers 429:
        by default 10, Bigin's reported cap; None for no cap.
    :param tags_report: what a SUCCESS entry lists in ``details.tags``: "before" (the record's tags before
        the call, which matches the sample reply of Zoho's Remove Tags page, docs/zoho-facts.md, section 6),
        "after", or "changed".
    :param api_domain: the ``api_domain`` token replies name; None for the sandbox's own URL.
    :param process: False runs uvicorn in a daemon thread of this process; True runs the CLI in a subprocess.
    :param startup_timeout: seconds to wait for the server to listen.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        seed: SeedSource = None,
        latency_ms: float = 0.0,
        jitter_ms: float | None = None,
        faults: FaultSpec = None,
        fault_seed: int = 0,
        token_ttl: float = 3600,
        lockout_seconds: float = 900,
        grant_limit: int = 10,
        grant_window_seconds: float = 600,
        max_live_tokens: int = 15,
        grant_code_ttl: float = 180,
        max_concurrency: int | None = DEFAULT_MAX_CONCURRENCY,
        tags_report: TagsReport = DEFAULT_TAGS_REPORT,
        api_domain: str | None = None,
        process: bool = False,
        startup_timeout: float = 30.0,
    ) -> None:
        self.config = SandboxConfig(
            seed=seed,
            latency_ms=latency_ms,
            jitter_ms=jitter_ms,
            faults=fault_profile(faults),
            fault_seed=fault_seed,
            tokens=TokenPolicy(
                token_ttl=token_ttl,
                lockout_seconds=lockout_seconds,
                grant_limit=grant_limit,
                grant_window_seconds=grant_window_seconds,
                max_live_tokens=max_live_tokens,
                grant_code_ttl=grant_code_ttl,
            ),
            max_concurrency=max_concurrency,
            tags_report=tags_report,
            api_domain=api_domain,
        )
        self.port = port
        self.process = process
        self.startup_timeout = startup_timeout
        self._url = ""
        self._clients: dict[str, dict[str, Any]] = {}
        self._server: ThreadServer | ProcessServer | None = None
        self._attached = False
        self._seed_file: Path | None = None

    def __repr__(self) -> str:
        mode = "attached" if self._attached else "process" if self.process else "thread"
        return f"Sandbox(url={self._url or 'not started'!r}, mode={mode!r})"

    @classmethod
    def attach(cls, url: str) -> Sandbox:
        """A handle on a sandbox that is already running at ``url``, e.g. one started with ``bigin-sandbox``.

        Every inspection and control method works as on a started sandbox; ``stop()`` (or the end of a
        ``with`` block) only lets go of it, since the server belongs to whoever started it. ``config`` holds
        the defaults, not the options the server was started with.
        """
        sandbox = cls()
        sandbox._url = _loopback_url(url)
        sandbox._attached = True
        try:
            sandbox._clients = sandbox._control("GET", "/clients")
        except SandboxError as error:
            sandbox._url, sandbox._attached = "", False
            raise SandboxError(f"{error} Is `bigin-sandbox` running there? It prints its URL.") from None
        return sandbox

    # Life cycle ----------------------------------------------------------------------------------------

    def start(self) -> Sandbox:
        if self._attached:
            return self  # `with Sandbox.attach(url) as sb:`: already running, elsewhere
        if self._server is not None:
            raise SandboxError("this sandbox is already running")
        require_server_packages()  # here, even for process mode, whose child could only report an exit code
        seed = load_seed(self.config.seed)  # a bad seed fails here, in the caller, before any server starts
        try:
            if self.process:
                process_server = ProcessServer(self._cli_args())
                self._server = process_server
                process_server.start(self.startup_timeout)
                self._url = process_server.url
            else:
                thread_server = self._thread_server(seed)
                self._server = thread_server
                thread_server.start(self.startup_timeout)
                self._url = f"http://127.0.0.1:{thread_server.port}"
            self._clients = self._control("GET", "/clients")
        except BaseException:
            self.stop()  # nothing left running, and start() may be tried again
            raise
        return self

    def _thread_server(self, seed: SeedData) -> ThreadServer:
        from airflow_provider_bigin.sandbox.app import create_app  # noqa: PLC0415 - FastAPI only when serving
        from airflow_provider_bigin.sandbox.state import SandboxState  # noqa: PLC0415

        return ThreadServer(create_app(state=SandboxState(self.config, seed)), self.port)

    def _cli_args(self) -> list[str]:
        config, tokens = self.config, self.config.tokens
        args = ["--port", str(self.port), "--latency-ms", str(config.latency_ms)]
        if config.jitter_ms is not None:
            args += ["--jitter-ms", str(config.jitter_ms)]
        args += ["--faults", profile_to_text(config.faults), "--fault-seed", str(config.fault_seed)]
        args += ["--token-ttl", str(tokens.token_ttl), "--lockout-seconds", str(tokens.lockout_seconds)]
        args += [
            "--grant-limit",
            str(tokens.grant_limit),
            "--grant-window-seconds",
            str(tokens.grant_window_seconds),
        ]
        args += [
            "--max-live-tokens",
            str(tokens.max_live_tokens),
            "--grant-code-ttl",
            str(tokens.grant_code_ttl),
        ]
        args += ["--tags-report", config.tags_report]
        if config.api_domain is not None:
            args += ["--api-domain", config.api_domain]
        args += ["--max-concurrency", str(config.max_concurrency or "none")]
        if isinstance(config.seed, Mapping):
            handle, name = tempfile.mkstemp(prefix="bigin-sandbox-seed-", suffix=".json")
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(config.seed, file)
            self._seed_file = Path(name)
            args += ["--seed", name]
        elif config.seed is not None:
            args += ["--seed", os.fspath(config.seed)]
        return args

    def stop(self) -> None:
        """Stop the server this object started; an attached sandbox is only let go of, and keeps running."""
        server, self._server = self._server, None
        self._url, self._clients, self._attached = "", {}, False
        if server is not None:
            server.stop()
        if self._seed_file is not None:
            self._seed_file.unlink(missing_ok=True)
            self._seed_file = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # Where it is and how to reach it -------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the accounts server and the API domain both."""
        if not self._url or (self._server is None and not self._attached):
            raise SandboxError("the sandbox is not running; use `with Sandbox() as sb:` or call start()")
        return self._url

    @property
    def clients(self) -> list[str]:
        return list(self._client_info())

    def _client_info(self, client: str | None = None) -> dict[str, Any]:
        if not self._clients:
            raise SandboxError("the sandbox is not running")
        if client is None:
            return self._clients
        if client not in self._clients:
            raise SandboxError(f"unknown client {client!r}; clients are {list(self._clients)}")
        info: dict[str, Any] = self._clients[client]
        return info

    @property
    def client_id(self) -> str:
        return str(self._client_info("default")["client_id"])

    @property
    def client_secret(self) -> str:
        return str(self._client_info("default")["client_secret"])

    @property
    def refresh_token(self) -> str:
        return str(self._client_info("default")["refresh_token"])

    def credentials(self, client: str = "default") -> dict[str, str]:
        """``client_id``, ``client_secret``, ``refresh_token`` and ``scope`` of a configured client."""
        info = self._client_info(client)
        return {key: str(info[key]) for key in ("client_id", "client_secret", "refresh_token", "scope")}

    def connection(self, client: str = "default", **extra_overrides: Any) -> dict[str, Any]:
        info = self._client_info(client)
        return sandbox_connection(
            self.url, info["client_id"], info["client_secret"], info["refresh_token"], **extra_overrides
        )

    def connection_json(self, client: str = "default", **extra_overrides: Any) -> str:
        return connection_json(self.connection(client, **extra_overrides))

    def connection_env(
        self, conn_id: str = DEFAULT_CONN_ID, client: str = "default", **extra_overrides: Any
    ) -> dict[str, str]:
        """``{"AIRFLOW_CONN_BIGIN_DEFAULT": json}``, ready for ``os.environ`` or ``monkeypatch.setenv``."""
        return {connection_env_name(conn_id): self.connection_json(client, **extra_overrides)}

    def fetch_access_token(self, client: str = "default") -> str:
        """An access token from the sandbox's own token endpoint (this counts as a grant, like any other)."""
        info = self._client_info(client)
        form = urllib.parse.urlencode(
            {
                "grant_type": "refresh_token",
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
                "refresh_token": info["refresh_token"],
            }
        ).encode()
        reply = self._http("POST", f"{self.url}/oauth/v2/token", form, "application/x-www-form-urlencoded")
        if "access_token" not in reply:
            raise SandboxError(f"the token endpoint refused the grant: {reply.get('error')}")
        return str(reply["access_token"])

    # State -----------------------------------------------------------------------------------------------

    def records(self, module: str) -> dict[str, dict[str, Any]]:
        """Every record of a module by id, as GET returns it (``Tag`` as ``[{"name", "id"}]``)."""
        records: dict[str, dict[str, Any]] = self._control("GET", f"/records/{_quote(module)}")
        return records

    def tags(self, module: str, record_id: str) -> list[str]:
        reply = self._control("GET", f"/records/{_quote(module)}/{_quote(record_id)}/tags")
        return [str(name) for name in reply["tags"]]

    def add_records(self, module: str, records: Iterable[Mapping[str, Any]]) -> list[str]:
        """Add records (ids allocated when absent; ``Tag`` as names or objects); returns their ids."""
        reply = self._control("POST", f"/records/{_quote(module)}", {"records": [dict(r) for r in records]})
        return [str(record_id) for record_id in reply["ids"]]

    def set_tags(self, module: str, record_id: str, names: Iterable[str]) -> list[str]:
        reply = self._control(
            "PUT", f"/records/{_quote(module)}/{_quote(record_id)}/tags", {"tags": list(names)}
        )
        return [str(name) for name in reply["tags"]]

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self._control("GET", "/stats")
        return stats

    def reset_stats(self) -> None:
        self._control("POST", "/stats/reset")

    def reset(self) -> None:
        """Back to the seed: records, tokens, lock-outs, stats, clock, and the knobs it started with."""
        self._control("POST", "/reset")

    # Knobs -------------------------------------------------------------------------------------------------

    def set_faults(self, profile: FaultSpec, seed: int = 0) -> None:
        self._control("PUT", "/faults", {"profile": fault_profile(profile).as_json(), "seed": seed})

    def set_latency(self, ms: float, jitter_ms: float | None = None) -> None:
        self._control("PUT", "/latency", {"latency_ms": ms, "jitter_ms": jitter_ms})

    def set_max_concurrency(self, n: int | None) -> None:
        self._control("PUT", "/concurrency", {"max_concurrency": n})

    def expire_access_tokens(self) -> int:
        """Every live access token now answers 401 INVALID_TOKEN; returns how many there were."""
        return int(self._control("POST", "/tokens/expire")["expired"])

    def force_lockout(self, refresh_token: str | None = None, seconds: float | None = None) -> None:
        """Grants for this refresh token (all when None) get Access Denied for ``seconds`` or the lockout."""
        self._control("POST", "/lockout", {"refresh_token": refresh_token, "seconds": seconds})

    def issue_grant_code(self, client: str = "default", scope: str | None = None) -> str:
        """A self-client code for ``grant_type=authorization_code``: single use, lives ``grant_code_ttl``."""
        return str(self._control("POST", "/grant-code", {"client": client, "scope": scope})["code"])

    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox's clock forward: tokens expire, grant windows slide and lock-outs end, at once."""
        self._control("POST", "/clock/advance", {"seconds": seconds})

    # Transport -------------------------------------------------------------------------------------------

    def _control(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        return self._http(method, f"{self.url}{CONTROL_PREFIX}{path}", data, "application/json")

    @staticmethod
    def _http(method: str, url: str, data: bytes | None, content_type: str) -> Any:
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - always http://127.0.0.1
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with _OPENER.open(request, timeout=CONTROL_TIMEOUT_SECONDS) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", errors="replace")
            with contextlib.suppress(ValueError, AttributeError):
                detail = json.loads(detail).get("error", detail)
            raise SandboxError(
                f"sandbox control request {method} {urllib.parse.urlsplit(url).path} failed: {detail}"
            ) from None
        except urllib.error.URLError as error:
            raise SandboxError(f"the sandbox at {url} is unreachable: {error.reason}") from None


def _loopback_url(url: str) -> str:
    """``http://HOST:PORT`` of a loopback host; anything else is refused: a sandbox binds only there."""
    parts = urllib.parse.urlsplit(url.strip())
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        port = parts.port
    except ValueError:  # not an IP address, or a port that is not a number
        loopback, port = False, None
    if parts.scheme != "http" or not loopback or port is None or parts.path not in ("", "/"):
        raise SandboxError(
            f"cannot attach to {url!r}: a sandbox listens on http://127.0.0.1:PORT, the URL that "
            "`bigin-sandbox` prints on its first line"
        )
    return f"http://{parts.netloc}"


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")
