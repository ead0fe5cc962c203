"""``bigin-sandbox`` / ``python -m airflow_provider_bigin.sandbox``: run a sandbox in the foreground.

It prints where it listens and, on a line of its own, ``export AIRFLOW_CONN_BIGIN_DEFAULT='<json>'``: a
connection for the default client, quoted so that bash and zsh can run the line as pasted. ``--env-file PATH``
also writes the connection to a file that both ``set -a; . PATH`` and docker's ``--env-file`` read. It stops
cleanly on Ctrl-C (SIGINT) or SIGTERM, even with requests in flight.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import shlex
import signal
import sys
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from airflow_provider_bigin.sandbox.accounts import TokenPolicy
from airflow_provider_bigin.sandbox.config import DEFAULT_MAX_CONCURRENCY, SandboxConfig
from airflow_provider_bigin.sandbox.connection import connection_env_name, connection_json, sandbox_connection
from airflow_provider_bigin.sandbox.faults import NAMED_PROFILES, fault_profile
from airflow_provider_bigin.sandbox.harness import SandboxExtraMissingError, require_server_packages
from airflow_provider_bigin.sandbox.seed import load_seed
from airflow_provider_bigin.sandbox.server import HOST, ShutdownGuard, bind_socket, uvicorn_server
from airflow_provider_bigin.sandbox.store import DEFAULT_TAGS_REPORT, TAGS_REPORTS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bigin-sandbox",
        description="An offline Zoho Accounts + Bigin v2 API on 127.0.0.1, for tests and demos.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument(
        "--env-file",
        type=Path,
        help="also write the connection to this file, for `set -a; . PATH; set +a` or docker's --env-file",
    )
    parser.add_argument("--seed", help="JSON seed file (default: the built-in demo data)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every API and token call")
    parser.add_argument(
        "--jitter-ms", type=float, default=None, help="latency varies by up to this (default: latency/5)"
    )
    parser.add_argument(
        "--faults",
        default="none",
        help=f"a profile ({', '.join(NAMED_PROFILES)}) or shares: '5xx=0.1,429=0.05,drop=0.02,slow=0.01'",
    )
    parser.add_argument(
        "--fault-seed", type=int, default=0, help="seed of the fault draws (reproducible runs)"
    )
    parser.add_argument("--token-ttl", type=float, default=3600, help="access token lifetime in seconds")
    parser.add_argument(
        "--lockout-seconds", type=float, default=900, help="lock-out after the token budget trips"
    )
    parser.add_argument("--grant-limit", type=int, default=10, help="grants per refresh token per window")
    parser.add_argument("--grant-window-seconds", type=float, default=600, help="the token budget's window")
    parser.add_argument(
        "--max-live-tokens", type=int, default=15, help="live access tokens per refresh token"
    )
    parser.add_argument(
        "--grant-code-ttl", type=float, default=180, help="self-client code lifetime in seconds"
    )
    parser.add_argument(
        "--max-concurrency",
        type=_cap,
        default=DEFAULT_MAX_CONCURRENCY,
        help="429 past this many API calls in flight for the org "
        f"(default {DEFAULT_MAX_CONCURRENCY}, Bigin's reported cap); 'none' for no cap",
    )
    parser.add_argument(
        "--tags-report",
        choices=TAGS_REPORTS,
        default=DEFAULT_TAGS_REPORT,
        help="what a SUCCESS entry lists in details.tags",
    )
    parser.add_argument(
        "--api-domain",
        help="the api_domain that token replies name (default: the sandbox's URL), e.g. another DC's",
    )
    return parser


def _cap(text: str) -> int | None:
    """A concurrency cap from the command line: a whole number, or 'none' for no cap."""
    if text.strip().lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number or 'none', not {text!r}") from None


def installed_version() -> str:
    """The installed distribution's version (the package's own ``__version__`` would import the client)."""
    try:
        return importlib.metadata.version("airflow-provider-bigin")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed: run from a source tree)"


def export_line(name: str, value: str) -> str:
    """``export NAME='value'``: single quotes keep every character as it is in bash and zsh (``shlex.quote``
    writes a single quote inside the value as ``'"'"'``), so no brace expansion or quote removal applies."""
    return f"export {name}={shlex.quote(value)}"


def connection_uri(connection: dict[str, Any]) -> str:
    """The connection as Airflow's URI form, the extra as JSON in ``__extra__``, every part percent-encoded.

    What is left (letters, digits, ``%._-:/@?=``) means the same to a shell sourcing ``NAME=value`` as to
    docker, which takes the value literally: no quotes are needed, so none are left in the value.
    """

    def encoded(text: str) -> str:
        return urllib.parse.quote(text, safe="").replace("~", "%7E")  # `:~` would be expanded by a shell

    extra = json.dumps(connection["extra"], separators=(",", ":"))
    credentials = f"{encoded(connection['login'])}:{encoded(connection['password'])}"
    return f"{connection['conn_type']}://{credentials}@/?__extra__={encoded(extra)}"


def write_env_file(path: Path, name: str, connection: dict[str, Any], url: str) -> None:
    """One ``NAME=uri`` line (mode 0600: it holds the sandbox's client secret), after a comment on its use."""
    text = (
        f"# The Bigin sandbox at {url}: `set -a; . {path}; set +a`, or `docker run --env-file {path}`\n"
        f"{name}={connection_uri(connection)}\n"
    )
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    return SandboxConfig(
        seed=args.seed,
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        faults=fault_profile(args.faults),
        fault_seed=args.fault_seed,
        tokens=TokenPolicy(
            token_ttl=args.token_ttl,
            lockout_seconds=args.lockout_seconds,
            grant_limit=args.grant_limit,
            grant_window_seconds=args.grant_window_seconds,
            max_live_tokens=args.max_live_tokens,
            grant_code_ttl=args.grant_code_ttl,
        ),
        max_concurrency=args.max_concurrency,
        tags_report=args.tags_report,
        api_domain=args.api_domain,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # --help and --version work without the sandbox extra
    try:
        require_server_packages()
    except SandboxExtraMissingError as error:
        print(f"bigin-sandbox: {error}", file=sys.stderr)
        return 1
    try:
        config = config_from_args(args)
        seed = load_seed(config.seed)
    except ValueError as error:  # SeedError included
        parser.error(str(error))
    try:
        sock = bind_socket(args.port)
    except OSError as error:
        print(f"bigin-sandbox: cannot listen on {HOST}:{args.port}: {error.strerror}", file=sys.stderr)
        return 1

    from airflow_provider_bigin.sandbox.app import create_app  # noqa: PLC0415 - after the cheap checks
    from airflow_provider_bigin.sandbox.state import SandboxState  # noqa: PLC0415

    state = SandboxState(config, seed)
    app = ShutdownGuard(create_app(state=state))
    server = uvicorn_server(app)

    def stop(signum: int, frame: FrameType | None) -> None:
        """Before uvicorn takes the signals over, and again when it re-raises the one that stopped it."""
        server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)  # before the URL is printed: whoever reads it may signal at once

    url = f"http://{HOST}:{sock.getsockname()[1]}"
    default = state.clients["default"]
    connection = sandbox_connection(url, default.client_id, default.client_secret, default.refresh_token)
    print(f"Bigin sandbox listening on {url} (Zoho Accounts and the Bigin v2 API; Ctrl-C stops it)")
    print(f"Counters: {url}/__sandbox__/stats   clients: {', '.join(state.clients)}")
    if args.env_file is not None:
        try:
            write_env_file(args.env_file, connection_env_name(), connection, url)
        except OSError as error:
            sock.close()
            print(f"bigin-sandbox: cannot write {args.env_file}: {error.strerror}", file=sys.stderr)
            return 1
        print(f"Connection written to {args.env_file} (for `set -a; . FILE; set +a` or `docker --env-file`)")
    print(export_line(connection_env_name(), connection_json(connection)), flush=True)
    server.run(sockets=[sock])
    sock.close()
    in_flight = ""
    if app.cancelled:
        were = "request in flight was" if app.cancelled == 1 else "requests in flight were"
        in_flight = f" ({app.cancelled} {were} answered 503)"
    print(f"Bigin sandbox stopped{in_flight}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
