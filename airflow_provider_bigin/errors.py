"""One exception class per meaning, all under BiginError.

Callers catch the meaning they can act on (a revoked refresh token needs a human, a token budget needs time, a
scope needs a new client), so each class's message says what to do. No message ever carries a secret. Errors
raised in the middle of a run carry `.outcome`, the per-record results so far, so that nothing done is lost.
At run time this module imports nothing else of the package, so that every part can import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_bigin.client.results import TagOutcome


class BiginError(Exception):
    """Base class of every error this provider raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.outcome: TagOutcome | None = None

    def __str__(self) -> str:
        return self.message


class InvalidInputError(BiginError, ValueError):
    """Ids, tag names or module refused before any request was sent."""


class ConnectionConfigError(BiginError, ValueError):
    """The connection is misconfigured: a missing field, an unknown data centre, an unsafe host."""


class AuthError(BiginError):
    """Zoho Accounts refused to give an access token, or the API refused the one it gave."""


class InvalidClientError(AuthError):
    """Wrong client id or secret, or the accounts server of another data centre."""


class RevokedRefreshTokenError(AuthError):
    """The refresh token was revoked or never valid: a human has to generate a new one."""


class TokenBudgetExceededError(AuthError):
    """Zoho's token budget (10 access tokens per refresh token per 10 minutes) is spent."""

    def __init__(self, message: str, *, retry_after_seconds: float, retry_at: str) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
        self.retry_at = retry_at  # ISO-8601 UTC instant after which a new grant may succeed


class InvalidTokenError(AuthError):
    """The API refused a freshly minted access token."""


class TokenRequestError(AuthError):
    """Zoho Accounts replied with an error this provider has no meaning for."""


class ApiError(BiginError):
    """The Bigin API refused a whole request; `code` and `http_status` are Zoho's."""

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status


class ScopeMismatchError(ApiError):
    """The access token lacks the OAuth scope the call needs; `scope` names the one to add."""

    def __init__(self, message: str, *, scope: str, code: str | None = None, http_status: int | None = None):
        super().__init__(message, code=code, http_status=http_status)
        self.scope = scope


class PermissionDeniedError(ApiError):
    """The Bigin user behind the token may not do this (role or profile permissions)."""


class BadRequestError(ApiError):
    """Bigin refused the request as malformed: module, URL, method or parameters."""


class UnexpectedResponseError(ApiError):
    """A reply that is not Bigin's JSON (an HTML page, malformed JSON, records that were not sent)."""


class TransientError(ApiError):
    """A failure that may pass if the same request is sent again later."""


class RateLimitedError(TransientError):
    """HTTP 429: Bigin's credit or concurrency limit; `retry_after_seconds` when the reply said so."""

    def __init__(
        self,
        message: str,
        *,
        retry_after_seconds: float | None = None,
        code: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message, code=code, http_status=http_status)
        self.retry_after_seconds = retry_after_seconds


class ReplyTooLargeError(UnexpectedResponseError):
    """A reply grew past its size cap (counted after decompression) and was refused unread."""


class ServerError(TransientError):
    """HTTP 5xx from Zoho."""


class TransportError(TransientError):
    """The request did not get a reply: connection refused or dropped, or a timeout."""


class HostUnreachableError(TransportError):
    """The host could not be reached at all (refused, not resolved, TLS failure, connect timeout).

    Nothing was sent, so nothing can have applied; a run that meets it starts no further calls. `host` and
    `cause` say where and why.
    """

    def __init__(self, message: str, *, host: str, cause: str) -> None:
        super().__init__(message)
        self.host = host
        self.cause = cause


class ResultsSinkError(BiginError):
    """The sink a run was handing its results to (a results file, a callback) failed part-way.

    The run stops starting calls; its `.outcome` keeps every result the sink did not take, so that nothing
    done is lost.
    """
