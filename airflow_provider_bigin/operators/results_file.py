"""Every record's outcome as JSON Lines in object storage, written as the run's calls settle.

An XCom must fit through the Execution API; a file does not have to. The operator opens the file before the
first call (so a path that cannot be written fails the task before Bigin is touched), hands the client this
object as its result sink, and closes it after the last line. Any ObjectStoragePath URL works: ``file://``,
``s3://``, ``gs://`` and the others Airflow's object storage knows, with ``scheme://conn_id@...`` naming
the connection that holds its credentials.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import IO, TYPE_CHECKING

from airflow_provider_bigin.client.plurals import count_noun
from airflow_provider_bigin.client.results import RecordResult, to_json_lines
from airflow_provider_bigin.errors import InvalidInputError, ResultsSinkError

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

_LOCAL_PROTOCOLS = frozenset({"file", "local"})


class ResultsFile:
    """A JSON Lines file at an ObjectStoragePath URL; a context manager and a result sink."""

    def __init__(self, url: str) -> None:
        from airflow.sdk import ObjectStoragePath  # noqa: PLC0415  # object storage only when a task writes

        if not isinstance(url, str) or not url.strip():
            raise InvalidInputError(
                f"results_path must be an object storage URL (file:///..., s3://...), not {url!r}."
            )
        try:
            self.path: ObjectStoragePath = ObjectStoragePath(url.strip())
        except (ValueError, TypeError) as error:
            raise InvalidInputError(f"results_path {url!r} is not an object storage URL: {error}") from None
        self.url = str(self.path)
        self.lines = 0
        self._file: IO[str] | None = None

    def __enter__(self) -> ResultsFile:
        try:
            if self.path.protocol in _LOCAL_PROTOCOLS:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("w", encoding="utf-8")  # type: ignore[no-untyped-call]
        except Exception as error:
            raise ResultsSinkError(
                f"results_path {self.url} cannot be written ({type(error).__name__}: {error}); nothing was "
                "sent to Bigin. Check the path and the storage connection's permissions."
            ) from None
        return self

    def __call__(self, results: Sequence[RecordResult]) -> None:
        assert self._file is not None, "ResultsFile is written inside its `with` block"
        self._file.write(to_json_lines(results))
        self.lines += len(results)

    def close(self) -> None:
        """Close (for remote storage: upload) the file; a failure is a ResultsSinkError."""
        if self._file is None:
            return
        file, self._file = self._file, None
        try:
            file.close()
        except Exception as error:
            raise ResultsSinkError(
                f"results_path {self.url} could not be completed ({type(error).__name__}: {error}) after "
                f"{count_noun(self.lines, 'line')}; the per-record outcomes in XCom and the summary are "
                "still right."
            ) from None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
