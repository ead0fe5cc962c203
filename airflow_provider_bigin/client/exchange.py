"""One HTTP exchange with Zoho, bounded in time and bytes, and what its failure means.

Each attempt runs under a deadline of its whole `timeout` (deadlines.py) and reads its body under a size cap
(bounded_read.py). Plain http goes to loopback only (the sandbox) and never through a proxy named in the
environment; https honours HTTPS_PROXY and NO_PROXY as requests does.

A failure is the host unreachable, or the reply lost; the difference decides what a caller may do next. A
host that could not be reached (refused, not resolved, TLS failure, connect timeout) got nothing, so nothing
can have applied and the next call would fail the same way; a reply lost after the request went out (read
timeout, reset, the deadline) may hide a change that applied. Messages name the host, never the query string
or a credential: requests' own texts carry the full URL, so none of them is quoted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any, cast
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from urllib3.exceptions import MaxRetryError, NewConnectionError

from airflow_provider_bigin.client.bounded_read import ACCEPT_ENCODING, read_capped
from airflow_provider_bigin.client.datacenters import is_loopback_host
from airflow_provider_bigin.client.deadlines import Deadline, deadline
from airflow_provider_bigin.errors import HostUnreachableError, TransportError

# urllib3 1.26 names no resolution failure of its own: it is a NewConnectionError there.
_NameResolutionError: type[Exception] = getattr(urllib3.exceptions, "NameResolutionError", LookupError)
#: requests drops None values after merging the environment's proxies, so these send a request direct.
DIRECT: dict[str, Any] = {"http": None, "https": None, "all": None}


def host_of(url: str) -> str:
    """The scheme, host and port of `url`, without user info, path or query: safe to show."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def unreachable_cause(error: requests.RequestException) -> str | None:
    """Why the host could not be reached, or None when the request may have been sent."""
    if isinstance(error, requests.exceptions.ProxyError):
        return "the proxy refused or could not be reached"
    if isinstance(error, requests.exceptions.SSLError):
        return "TLS failure"
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return "connect timeout"
    if isinstance(error, requests.ConnectionError):
        reason = error.args[0].reason if error.args and isinstance(error.args[0], MaxRetryError) else None
        if isinstance(reason, _NameResolutionError):
            return "name not resolved"
        if isinstance(reason, NewConnectionError):
            return "connection refused" if "refused" in str(reason).lower() else "connection failed"
    return None


def request_failure(
    error: requests.RequestException, *, service: str, url: str, what: str, advice: str
) -> TransportError:
    """The typed error for a request that got no reply: HostUnreachableError when nothing was sent.

    :param service: who was called, for the message ("Bigin", "Zoho Accounts").
    :param what: the request, without its query ("POST /bigin/v2/Contacts/actions/remove_tags").
    :param advice: what to check when the host cannot be reached.
    """
    host = host_of(url)
    cause = unreachable_cause(error)
    if cause is not None:
        return HostUnreachableError(
            f"Could not reach {service} at {host} for {what} ({cause}); nothing was sent. {advice}",
            host=host,
            cause=cause,
        )
    if isinstance(error, requests.Timeout):
        return TransportError(f"{service} at {host} did not answer {what} in time; the request was sent.")
    return TransportError(
        f"The reply from {service} at {host} to {what} was lost ({type(error).__name__}); the request "
        "was sent."
    )


@dataclass(frozen=True)
class HttpReply:
    """A whole reply: status, headers and the decoded body (at most the cap)."""

    status: int
    headers: Mapping[str, str]
    body: bytearray


def proxies_for(url: str) -> dict[str, Any] | None:
    """DIRECT for plain http to loopback (a proxy must never see the sandbox's credentials), else None:
    requests then applies HTTPS_PROXY, ALL_PROXY and NO_PROXY from the environment."""
    parts = urlsplit(url)
    return DIRECT if parts.scheme == "http" and is_loopback_host(parts.hostname or "") else None


def _late(attempt: Deadline, service: str, url: str, what: str) -> TransportError:
    return TransportError(
        f"{service} at {host_of(url)} did not finish answering {what} within {attempt.seconds:g} s (the "
        "attempt's deadline, the connection's timeout); the request was sent."
    )


def exchange(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeout: tuple[float, float],
    max_bytes: int,
    service: str,
    what: str,
    advice: str,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    form: Mapping[str, str] | None = None,
) -> HttpReply:
    """One attempt: the request and its whole reply within `timeout[1]` seconds and `max_bytes` decoded.

    Raises HostUnreachableError when nothing was sent, TransportError when the reply was lost or late,
    ReplyTooLargeError past the cap. Redirects are not followed: one must not carry a credential elsewhere.
    """
    with deadline(timeout[1]) as attempt:
        try:
            response = session.request(
                method,
                url,
                headers={**(headers or {}), "Accept-Encoding": ACCEPT_ENCODING},
                json=json_body,
                data=form,
                timeout=timeout,
                allow_redirects=False,
                stream=True,
                proxies=cast("dict[str, str] | None", proxies_for(url)),
            )
        except requests.RequestException as exc:
            if attempt.expired and unreachable_cause(exc) is None:  # cut by the deadline, not refused
                raise _late(attempt, service, url, what) from None
            raise request_failure(exc, service=service, url=url, what=what, advice=advice) from None
        try:
            attempt.watch(getattr(response.raw, "connection", None))  # a session of the caller's own
            encoding = response.headers.get("Content-Encoding", "").strip().lower()
            body = read_capped(response.raw, encoding, max_bytes, f"The reply of {service} to {what}")
        except (requests.RequestException, urllib3.exceptions.HTTPError, HTTPException, OSError) as exc:
            if attempt.expired:
                raise _late(attempt, service, url, what) from None
            raise TransportError(
                f"The reply from {service} at {host_of(url)} to {what} was cut off ({type(exc).__name__}); "
                "the request was sent."
            ) from None
        finally:
            response.close()
        if attempt.expired:
            raise _late(attempt, service, url, what)
    return HttpReply(response.status_code, response.headers, body)
