"""``bigin-sandbox`` / ``python -m airflow_provider_bigin.sandbox``: run a sandbox in the foreground.

It prints where it listens and, on a line of its own, ``AIRFLOW_CONN_BIGIN_DEFAULT=<json>``: a connection
for the default client, ready to ``export``. It stops cleanly on Ctrl-C (SIGINT) or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from airflow_provider_bigin.sandbox.accounts import TokenPolicy
from airflow_provider_bigin.sandbox.config import SandboxConfig
from airflow_provider_bigin.sandbox.connection import connection_env_name, connection_json, sandbox_connection
from airflow_provider_bigin.sandbox.faults import NAMED_PROFILES, fault_profile
from airflow_provider_bigin.sandbox.seed import load_seed
from airflow_provider_bigin.sandbox.server import HOST, bind_socket, uvicorn_server
from airflow_provider_bigin.sandbox.store import DEFAULT_TAGS_REPORT, TAGS_REPORTS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bigin-sandbox",
        description="An offline Zoho Accounts + Bigin v2 API on 127.0.0.1, for tests and demos.",
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
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
        "--max-concurrency", type=int, default=None, help="429 past this many API calls in flight"
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
    args = parser.parse_args(argv)
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
    server = uvicorn_server(create_app(state=state))

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
    print(f"{connection_env_name()}={connection_json(connection)}", flush=True)
    server.run(sockets=[sock])
    sock.close()
    print("Bigin sandbox stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
