"""Pytest fixtures that give any test suite a running Bigin sandbox and an Airflow to run DAGs in.

Registered as the ``pytest11`` entry point ``bigin_sandbox``, so installing the provider is enough: a user's
tests ask for ``bigin_sandbox`` (one shared server, state reset before each test),
``bigin_sandbox_factory`` (a server of their own, built with any ``Sandbox`` option, stopped at teardown) and
``bigin_airflow_db`` (a migrated metadata database, for ``dag.test()``).

Airflow reads ``AIRFLOW_HOME`` and its configuration once, when it is first imported, which for a DAG test is
usually while pytest collects the test module. So the temporary home is made when pytest loads this plugin,
before any conftest or test module is imported: ``AIRFLOW_HOME`` in a new temporary directory, the DAGs folder
``dags`` under the rootdir (ini option ``bigin_dags_folder``) and put on ``sys.path`` as Airflow's DAG
processor does, examples off, and ``BIGIN_TOKEN_CACHE_DIR`` in the same directory so that no test writes
tokens or lock files under ``~/.cache``. All of it is undone, and the directory removed, when the session
ends.
An ``AIRFLOW_HOME`` already set in the environment is the user's choice and is kept (the ini option
``bigin_airflow_home`` is ``auto`` by default; ``true`` takes over even then, ``false`` never); the
pytest header says which home the session uses.
Nothing else is imported here: pytest loads this module for every run, Airflow used or not. Nor are FastAPI
and uvicorn, the ``sandbox`` extra, until a sandbox fixture starts a server; without them, that fixture fails
with ``SandboxExtraMissingError``, which names the extra to install.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from airflow_provider_bigin.sandbox.harness import Sandbox

SandboxFactory = Callable[..., "Sandbox"]

HOME_OPTION = "bigin_airflow_home"
DAGS_OPTION = "bigin_dags_folder"


@dataclass
class _SessionAirflow:
    """What this plugin changed for the session, so that it can say so and undo it."""

    root: Path | None = None  # the session's temporary directory: token cache, and Airflow's home
    home: Path | None = None  # set only when Airflow will use it
    opted_out: bool = False
    not_made: str = ""  # why there is no temporary home, for the fixture's error
    saved_env: dict[str, str | None] = field(default_factory=dict)
    added_path: str | None = None

    def set_env(self, name: str, value: str) -> None:
        self.saved_env.setdefault(name, os.environ.get(name))
        os.environ[name] = value

    def undo(self) -> None:
        for name, value in self.saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self.saved_env.clear()
        if self.added_path is not None and self.added_path in sys.path:
            sys.path.remove(self.added_path)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
        self.root = self.home = None


_SESSION = _SessionAirflow()


_TRUE, _FALSE = {"true", "yes", "1", "on"}, {"false", "no", "0", "off"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        HOME_OPTION,
        "bigin plugin: run the session's Airflow in a temporary AIRFLOW_HOME: auto (default: unless "
        "AIRFLOW_HOME is set in the environment), true or false",
        default="auto",
    )
    parser.addini(
        DAGS_OPTION,
        "bigin plugin: the DAGs folder that dag.test() parses (relative to the rootdir)",
        default="dags",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Before any conftest: the last moment at which Airflow has surely not read its configuration."""
    root = Path(tempfile.mkdtemp(prefix="bigin-pytest-"))
    _SESSION.root = root
    _SESSION.set_env("BIGIN_TOKEN_CACHE_DIR", str(root / "token-cache"))
    choice = str(early_config.getini(HOME_OPTION)).strip().lower()
    if choice in _FALSE:
        _SESSION.opted_out = True
        return
    if choice not in _TRUE and choice != "auto":
        raise pytest.UsageError(f"{HOME_OPTION} is {choice!r}: use auto, true or false.")
    if choice == "auto" and os.environ.get("AIRFLOW_HOME"):
        _SESSION.not_made = (
            f"AIRFLOW_HOME is set in the environment ({os.environ['AIRFLOW_HOME']}), and "
            f"`{HOME_OPTION} = auto` keeps it; set `{HOME_OPTION} = true` for a temporary one"
        )
        return
    if "airflow" in sys.modules:
        _SESSION.not_made = "Airflow was imported before this plugin was loaded, by another plugin"
        return
    home = root / "airflow-home"
    home.mkdir()
    dags = early_config.rootpath / str(early_config.getini(DAGS_OPTION))
    _SESSION.home = home
    _SESSION.set_env("AIRFLOW_HOME", str(home))
    _SESSION.set_env("AIRFLOW__CORE__DAGS_FOLDER", str(dags))
    _SESSION.set_env("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    if str(dags) not in sys.path:
        sys.path.append(str(dags))  # DAG files import their neighbours, as under Airflow's DAG processor
        _SESSION.added_path = str(dags)


def session_airflow_home() -> Path | None:
    """The temporary AIRFLOW_HOME this plugin made for the session, or None if it made none."""
    return _SESSION.home


def pytest_report_header(config: pytest.Config) -> str:
    if _SESSION.home is not None:
        return f"bigin: Airflow runs in a temporary AIRFLOW_HOME ({_SESSION.home}), removed at the end"
    kept = os.environ.get("AIRFLOW_HOME") or "~/airflow"
    why = f"`{HOME_OPTION} = false`" if _SESSION.opted_out else _SESSION.not_made
    return f"bigin: Airflow uses AIRFLOW_HOME {kept} ({why})"


def pytest_unconfigure(config: pytest.Config) -> None:
    _SESSION.undo()


@pytest.fixture(scope="session")
def bigin_airflow_home() -> Path:
    """The session's temporary AIRFLOW_HOME, which Airflow must actually be using."""
    import airflow.configuration  # noqa: PLC0415 - see the module docstring

    configured = Path(airflow.configuration.AIRFLOW_HOME)
    if _SESSION.home is None or configured != _SESSION.home:
        why = (
            f"`{HOME_OPTION} = false` in the pytest configuration"
            if _SESSION.opted_out
            else _SESSION.not_made or "AIRFLOW_HOME was changed after the plugin set it"
        )
        pytest.fail(
            f"bigin_airflow_home: Airflow uses {configured}, not the bigin plugin's temporary home: {why}. "
            "Let the plugin set AIRFLOW_HOME (no other plugin may import Airflow first), or set "
            f"`{HOME_OPTION} = false` and use bigin_airflow_db with a database of your own.",
            pytrace=False,
        )
    return configured


@pytest.fixture(scope="session")
def bigin_airflow_db(request: pytest.FixtureRequest) -> str:
    """Airflow's metadata database, migrated once per session; returns its SQLAlchemy URL.

    In the temporary home it is a new SQLite file. With ``bigin_airflow_home = false`` it is the database
    that the environment configures, migrated as ``airflow db migrate`` would.
    """
    if not _SESSION.opted_out:
        request.getfixturevalue("bigin_airflow_home")  # fails, saying why, if Airflow looks elsewhere
    from airflow.configuration import conf  # noqa: PLC0415 - see the module docstring
    from airflow.utils import db  # noqa: PLC0415

    db.initdb()
    return str(conf.get("database", "sql_alchemy_conn"))


@pytest.fixture(scope="session")
def bigin_sandbox_session() -> Iterator[Sandbox]:
    """One sandbox for the whole session: starting a server per test would dominate a suite's run time."""
    from airflow_provider_bigin.sandbox.harness import Sandbox  # noqa: PLC0415 - see the module docstring

    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def bigin_sandbox(bigin_sandbox_session: Sandbox) -> Sandbox:
    """The shared sandbox, reset to its seed (records, tokens, stats, knobs) before this test."""
    bigin_sandbox_session.reset()
    return bigin_sandbox_session


@pytest.fixture
def bigin_sandbox_factory() -> Iterator[SandboxFactory]:
    """Build ``Sandbox(**options)`` servers for this test; each is stopped when the test ends."""
    from airflow_provider_bigin.sandbox.harness import Sandbox  # noqa: PLC0415 - see the module docstring

    started: list[Sandbox] = []

    def build(**options: Any) -> Sandbox:
        sandbox = Sandbox(**options)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield build
    for sandbox in reversed(started):
        sandbox.stop()
