from __future__ import annotations

import json

DAG_SOURCE = """
import pendulum
from airflow.sdk import DAG, BaseHook, task

with DAG("conftest_smoke", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:

    @task
    def read_connection():
        return BaseHook.get_connection("bigin_default").extra_dejson["data_center"]

    @task
    def shout(value):
        return value.upper()

    shout(read_connection())
"""


def test_run_dag_executes_tasks_and_exposes_xcoms(run_dag):
    conn = {"conn_type": "bigin", "login": "id", "password": "pw", "extra": {"data_center": "eu"}}
    result = run_dag(DAG_SOURCE, "conftest_smoke", env={"AIRFLOW_CONN_BIGIN_DEFAULT": json.dumps(conn)})
    assert result.state == "success"
    assert result.xcom("shout") == "EU"
