"""The import paths docs/hook-and-client.md lists: each one imports, and names what the page says it names."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import airflow_provider_bigin.errors as errors_module

# Written out apart from the package's own __all__, as docs/hook-and-client.md lists them.
CLIENT_NAMES = (
    "BiginClient",
    "ClientSettings",
    "RetryPolicy",
    "TagOutcome",
    "RecordResult",
    "OutcomeSummary",
    "ConnectionCheck",
    "MemoryTokenStore",
    "FileTokenStore",
    "TokenStore",
)
PUBLIC_PATHS = [
    *(("airflow_provider_bigin.client", name) for name in CLIENT_NAMES),
    ("airflow_provider_bigin.hooks.bigin", "BiginHook"),
    ("airflow_provider_bigin.hooks", "VariableTokenStore"),
    ("airflow_provider_bigin.operators.tags", "RemoveTagsOperator"),
    ("airflow_provider_bigin.operators.tags", "AddTagsOperator"),
    ("airflow_provider_bigin.errors", "BiginError"),
    ("airflow_provider_bigin.sandbox", "Sandbox"),
]


@pytest.mark.parametrize(("module", "name"), PUBLIC_PATHS, ids=[f"{m}.{n}" for m, n in PUBLIC_PATHS])
def test_each_documented_import_path_imports(module: str, name: str) -> None:
    value = getattr(importlib.import_module(module), name)
    assert getattr(value, "__name__", name) == name


def test_the_client_exports_exactly_its_public_face_and_lists_it() -> None:
    client = importlib.import_module("airflow_provider_bigin.client")
    assert set(CLIENT_NAMES) <= set(client.__all__)
    assert set(client.__all__) <= set(dir(client))
    for name in client.__all__:
        assert getattr(client, name).__module__.startswith("airflow_provider_bigin.client.")
    with pytest.raises(AttributeError, match="has no attribute 'Nothing'"):
        _ = client.Nothing


def test_a_star_import_of_the_client_gives_its_public_names() -> None:
    namespace: dict[str, object] = {}
    exec("from airflow_provider_bigin.client import *", namespace)  # noqa: S102  # the import under test
    assert set(CLIENT_NAMES) <= set(namespace)


def test_every_error_class_derives_from_bigin_error() -> None:
    classes = [
        value
        for value in vars(errors_module).values()
        if isinstance(value, type)
        and issubclass(value, Exception)
        and value.__module__ == errors_module.__name__
    ]
    assert len(classes) > 10
    assert all(issubclass(cls, errors_module.BiginError) for cls in classes)


def test_the_client_package_loads_neither_requests_nor_the_client_until_a_name_is_used() -> None:
    """The operator module imports parts of the client at DAG-parse time; the package itself costs nothing."""
    code = (
        "import sys, airflow_provider_bigin.client.results; "
        "print(sorted(m for m in ('requests', 'airflow_provider_bigin.client.bigin') if m in sys.modules)); "
        "from airflow_provider_bigin.client import BiginClient; "
        "print(sorted(m for m in ('requests', 'airflow_provider_bigin.client.bigin') if m in sys.modules))"
    )
    reply = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    before, after = reply.stdout.strip().splitlines()[-2:]
    assert before == "[]"
    assert after == "['airflow_provider_bigin.client.bigin', 'requests']"
