"""Which connection the hook reads, and what it says when it finds none or another provider's.

A connection added with ``airflow connections add`` lives in the metadata database, which Airflow 3 reads
only inside a task (and in its servers): a plain script that looks it up is told so, not to create it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from airflow_provider_bigin.errors import ConnectionConfigError
from airflow_provider_bigin.hooks.bigin import BiginHook
from tests.hooks.conftest import UseConnection, offline_conn

AIRFLOW_CLI = Path(sys.executable).parent / "airflow"


def _uri(conn: dict[str, Any], scheme: str) -> str:
    extra = "&".join(f"{key}={quote(str(value), safe='')}" for key, value in conn["extra"].items())
    return f"{scheme}://{quote(conn['login'], safe='')}:{quote(conn['password'], safe='')}@/?{extra}"


@pytest.mark.parametrize("found", ["http", "generic", "sqlite"])
def test_a_connection_of_another_type_is_refused_naming_its_type_and_the_fix(
    bigin_sandbox: Any, use_connection: UseConnection, found: str
) -> None:
    conn = {**bigin_sandbox.connection(cache_backend="memory"), "conn_type": found}
    use_connection(conn, conn_id="bigin_typed")
    with pytest.raises(ConnectionConfigError) as raised:
        BiginHook("bigin_typed").get_conn()
    message = raised.value.message
    assert message.startswith(f"connection 'bigin_typed' is of type {found!r}, not 'bigin' (Zoho Bigin): ")
    assert '"conn_type": "bigin"' in message
    assert "bigin://" in message
    assert "'Zoho Bigin' in the Airflow UI" in message
    assert bigin_sandbox.stats()["requests"] == 0  # refused before any call


def test_a_connection_without_a_type_is_refused_saying_where_the_type_goes(
    use_connection: UseConnection,
) -> None:
    conn = offline_conn()
    del conn["conn_type"]
    use_connection(conn, conn_id="bigin_untyped")
    with pytest.raises(ConnectionConfigError, match=r"^connection 'bigin_untyped' has no type") as raised:
        BiginHook("bigin_untyped").get_conn()
    assert '"conn_type": "bigin"' in raised.value.message


@pytest.mark.parametrize(
    ("scheme", "said"),
    [
        ("zoho-bigin", "is of type 'zoho_bigin'"),  # Airflow turns dashes of a scheme into underscores
        ("zoho_bigin", "has no type"),  # and reads no type at all from a scheme with an underscore
    ],
)
def test_a_uri_with_another_scheme_is_refused_as_airflow_read_it(
    monkeypatch: pytest.MonkeyPatch, scheme: str, said: str
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_BIGIN_URI", _uri(offline_conn(), scheme))
    with pytest.raises(ConnectionConfigError, match=f"^connection 'bigin_uri' {said}"):
        BiginHook("bigin_uri").get_conn()


@pytest.mark.parametrize("scheme", ["bigin", "BIGIN"])
def test_a_bigin_uri_in_an_environment_variable_is_read(monkeypatch: pytest.MonkeyPatch, scheme: str) -> None:
    conn = offline_conn(data_center="eu")
    monkeypatch.setenv("AIRFLOW_CONN_BIGIN_URI", _uri(conn, scheme))
    client = BiginHook("bigin_uri").get_conn()
    assert client.data_center.code == "eu"
    assert client.settings.refresh_token == conn["extra"]["refresh_token"]


def test_a_json_type_in_other_case_is_still_a_bigin_connection(use_connection: UseConnection) -> None:
    use_connection({**offline_conn(data_center="jp"), "conn_type": " Bigin "})
    assert BiginHook().get_conn().data_center.code == "jp"


def test_the_sandbox_connection_env_is_read(bigin_sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in bigin_sandbox.connection_env("bigin_env").items():
        monkeypatch.setenv(name, value)
    assert BiginHook("bigin_env").get_conn().data_center.api_domain == bigin_sandbox.url


def test_test_connection_names_the_wrong_type_instead_of_a_missing_field(
    use_connection: UseConnection,
) -> None:
    use_connection({**offline_conn(), "conn_type": "http"})
    ok, message = BiginHook().test_connection()
    assert not ok
    assert message.startswith("ConnectionConfigError: connection 'bigin_default' is of type 'http'")


# --- a connection in the metadata database, as a user adds it ------------------------------------------

LOOKUP_DAG = """
import pendulum
from airflow.sdk import DAG, task


@task
def look_up(conn_id):
    from airflow_provider_bigin.errors import ConnectionConfigError
    from airflow_provider_bigin.hooks.bigin import BiginHook

    try:
        return BiginHook(conn_id).get_conn().data_center.code
    except ConnectionConfigError as error:
        return error.message


with DAG("bigin_connection_lookup", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
    look_up.override(task_id="added")("bigin_added")
    look_up.override(task_id="nowhere")("bigin_nowhere")
"""

PLAIN_SCRIPT = """
from airflow_provider_bigin.errors import ConnectionConfigError
from airflow_provider_bigin.hooks.bigin import BiginHook

try:
    print(BiginHook("bigin_added").get_conn().data_center.code)
except ConnectionConfigError as error:
    print(error.message)
"""

DAG_TEST_SCRIPT = """
import json, os, sys

try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow 3.1
    from airflow.models.dagbag import DagBag
from airflow.models.xcom import XComModel
from airflow.utils.session import create_session

bag = DagBag(dag_folder=os.path.join(os.environ["AIRFLOW__CORE__DAGS_FOLDER"], "lookup.py"))
run = bag.dags["bigin_connection_lookup"].test()
with create_session() as session:
    rows = session.query(XComModel).filter_by(dag_id=run.dag_id, run_id=run.run_id, key="return_value")
    print(json.dumps({row.task_id: XComModel.deserialize_value(row) for row in rows}))
"""


@dataclass(frozen=True)
class UserAirflow:
    """A user's own Airflow: a home migrated with ``airflow db migrate``, and their environment."""

    home: Path
    env: dict[str, str]

    def python(self, script: str) -> str:
        """The last line a script printed, run as the user runs one: a new process, nothing preset."""
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(script)],
            check=False,
            env=self.env,
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def user_airflow(tmp_path_factory: pytest.TempPathFactory) -> UserAirflow:
    """A temporary AIRFLOW_HOME of its own, where bigin_added is added with ``airflow connections add``.

    Not the test run's home: the CLI writes an airflow.cfg with a new Fernet key there, and encrypts the
    connection's password with it, which a process started before that file existed could not decrypt.
    """
    home = tmp_path_factory.mktemp("user-airflow-home")
    (home / "dags").mkdir()
    (home / "dags" / "lookup.py").write_text(LOOKUP_DAG)
    env = {name: value for name, value in os.environ.items() if not name.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        BIGIN_TOKEN_CACHE_DIR=str(home / "token-cache"),
    )
    conn = json.dumps(offline_conn(data_center="eu"))
    for command in (["db", "migrate"], ["connections", "add", "bigin_added", "--conn-json", conn]):
        done = subprocess.run(
            [str(AIRFLOW_CLI), *command], check=False, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-3000:]
    return UserAirflow(home, env)


@pytest.mark.slow
def test_a_plain_script_is_told_that_outside_a_task_the_database_is_not_read(
    user_airflow: UserAirflow,
) -> None:
    message = user_airflow.python(PLAIN_SCRIPT)
    assert message.startswith("connection 'bigin_added' is not defined here: outside an Airflow task")
    assert "never from its metadata database" in message
    assert "airflow connections add" in message
    assert "Export AIRFLOW_CONN_BIGIN_ADDED" in message
    assert "dag.test()" in message
    assert "create it in the Airflow UI" not in message


@pytest.mark.slow
def test_inside_a_task_the_added_connection_is_read_and_a_missing_one_is_to_be_created(
    user_airflow: UserAirflow,
) -> None:
    returned = json.loads(user_airflow.python(DAG_TEST_SCRIPT))
    assert returned["added"] == "eu"  # the database is read inside a task: the advice above is true
    missing = returned["nowhere"]
    assert missing.startswith("connection 'bigin_nowhere' is not defined: create it in the Airflow UI")
    assert "AIRFLOW_CONN_BIGIN_NOWHERE" in missing
    assert "outside an Airflow task" not in missing
