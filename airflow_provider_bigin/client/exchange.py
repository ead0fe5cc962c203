"""One HTTP exchange with Zoho, and what its failure means: the host unreachable, or the reply lost.

The difference decides what a caller may do next. A host that could not be reached (refused, not resolved,
TLS failure, connect timeout) got nothing, so nothing can have applied and the next call would fail the same
way; a reply lost after the request went out (read timeout, reset) may hide a change that applied. Messages
name the host, never the path's query string or a credential: requests' own texts carry the full URL, so
none of them is quoted.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

from airflow_provider_bigin.errors import HostUnreachableError, TransportError


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
        return "the proxy could not be reached"
    if isinstance(error, requests.exceptions.SSLError):
        return "TLS failure"
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return "connect timeout"
    if isinstance(error, requests.ConnectionError):
        reason = error.args[0].reason if error.args and isinstance(error.args[0], MaxRetryError) else None
        if isinstance(reason, NameResolutionError):
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
