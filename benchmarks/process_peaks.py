"""Peak RSS of a deployment's processes while one task runs: its task runner, its supervisor, the API server.

Linux only, read from ``/proc``. A LocalExecutor worker (a child of the scheduler) is the supervisor of each
task it runs; the task runner is the worker's child, titled ``airflow worker -- <task instance id>``. Task
runners are short-lived, so a thread polls their peak (VmHWM) every 50 ms. Workers and the API server live
for the whole deployment: when a task runner appears, its worker's and the API server's peaks are reset
(``clear_refs``, which needs the rights of the process's owner), so that what they reach from then on until
the next task starts belongs to that task.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

POLL_SECONDS = 0.05
_PROC = Path("/proc")
_RUNNER_TITLE = "airflow worker -- "
_WORKER_TITLE = "airflow worker -- LocalExecutor"


def status_kib(pid: int, field: str = "VmHWM") -> int | None:
    """A size from /proc/<pid>/status in KiB (VmHWM: the peak RSS); None once the process is gone."""
    try:
        with open(_PROC / str(pid) / "status", encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak(pid: int) -> None:
    """Make the process's peak RSS its current RSS (writing 5 to clear_refs); silent if it is gone."""
    with contextlib.suppress(OSError), open(_PROC / str(pid) / "clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")


def children(pid: int) -> list[int]:
    try:
        text = (_PROC / str(pid) / "task" / str(pid) / "children").read_text(encoding="ascii")
    except OSError:
        return []
    return [int(child) for child in text.split()]


def command_line(pid: int) -> str:
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


@dataclass
class TaskPeaks:
    """One task runner's peak, its supervisor's and the API server's while it was the newest task."""

    runner_pid: int
    supervisor_pid: int
    ti_id: str = ""  # from the runner's title, once it has set it
    runner_kib: int = 0
    supervisor_kib: int = 0
    api_kib: int = 0
    supervisor_start_kib: int = 0  # RSS when the task started: what the long-lived processes already held
    api_start_kib: int = 0


class PeakWatcher:
    """Polls the scheduler's workers and their task runners in a thread; a context manager.

    :param scheduler_pid: the scheduler, whose children are the LocalExecutor workers.
    :param api_pids: the API server's processes, whose peak each task start resets.
    """

    def __init__(self, scheduler_pid: int, api_pids: Iterable[int]) -> None:
        self.scheduler_pid = scheduler_pid
        self.api_pids = tuple(api_pids)
        self._tasks: dict[int, TaskPeaks] = {}  # by runner pid
        self._current: dict[int, TaskPeaks] = {}  # by worker pid: the task it runs or ran last
        self._newest: TaskPeaks | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="peak-watcher", daemon=True)

    def __enter__(self) -> PeakWatcher:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def by_task_instance(self, ti_id: str) -> TaskPeaks | None:
        """The peaks of the task instance with this id (the REST API's task instance ``id``)."""
        with self._lock:
            return next((task for task in self._tasks.values() if task.ti_id == ti_id), None)

    def _loop(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            with self._lock:
                self.poll()

    def poll(self) -> None:
        """One look at every worker and task runner (the thread calls this every 50 ms)."""
        for worker in children(self.scheduler_pid):
            if not command_line(worker).startswith(_WORKER_TITLE):
                continue  # the log server, or a worker not yet titled
            for runner in children(worker):
                task = self._tasks.get(runner)
                if task is None:
                    task = self._start(runner, worker)
                if not task.ti_id:
                    title = command_line(runner)
                    if title.startswith(_RUNNER_TITLE) and not title.startswith(_WORKER_TITLE):
                        task.ti_id = title[len(_RUNNER_TITLE) :].split()[0]
                task.runner_kib = max(task.runner_kib, status_kib(runner) or 0)
        for worker, task in self._current.items():
            task.supervisor_kib = max(task.supervisor_kib, status_kib(worker) or 0)
        if self._newest is not None:
            api = max((status_kib(pid) or 0 for pid in self.api_pids), default=0)
            self._newest.api_kib = max(self._newest.api_kib, api)

    def _start(self, runner: int, worker: int) -> TaskPeaks:
        reset_peak(worker)
        for pid in self.api_pids:
            reset_peak(pid)
        task = TaskPeaks(
            runner_pid=runner,
            supervisor_pid=worker,
            supervisor_start_kib=status_kib(worker, "VmRSS") or 0,
            api_start_kib=max((status_kib(pid, "VmRSS") or 0 for pid in self.api_pids), default=0),
        )
        self._tasks[runner] = task
        self._current[worker] = task
        self._newest = task
        return task
