"""Without the ``sandbox`` extra (FastAPI, uvicorn): the pytest plugin loads in any session, and every way of
starting a sandbox fails saying what to install.

Airflow depends on FastAPI, so it cannot be uninstalled here: each case runs in a child Python whose import
system refuses ``fastapi``, ``starlette`` and ``uvicorn``, as an environment without them would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

INSTALL = "pip install 'airflow-provider-bigin[sandbox]'"
SERVER_PACKAGES = ("fastapi", "starlette", "uvicorn")
PLUGIN = "airflow_provider_bigin.sandbox.pytest_plugin"

WITHOUT_THE_EXTRA = f"""
import sys

BLOCKED = {SERVER_PACKAGES!r}
assert not [name for name in sys.modules if name.split(".")[0] in BLOCKED], "imported before the hook"


class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


sys.meta_path.insert(0, NotInstalled())
for name in BLOCKED:
    try:
        __import__(name)
    except ModuleNotFoundError:
        pass
    else:
        raise AssertionError(f"{{name}} is still importable")
"""


def _python(code: str, *, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    command = [sys.executable, "-c", code]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def _without_the_extra(code: str, *, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return _python(WITHOUT_THE_EXTRA + textwrap.dedent(code), cwd=cwd)


def test_importing_the_pytest_plugin_imports_no_server_package() -> None:
    done = _python(f"""
import json, sys
import {PLUGIN}
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {SERVER_PACKAGES!r})))
""")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_the_pytest_plugin_loads_without_the_extra() -> None:
    done = _without_the_extra(f"""
        import {PLUGIN} as plugin
        print(plugin.__name__)
    """)
    assert (done.returncode, done.stdout.strip()) == (0, PLUGIN), done.stderr


def test_starting_a_sandbox_without_the_extra_raises_naming_the_fix() -> None:
    done = _without_the_extra("""
        from airflow_provider_bigin.sandbox import Sandbox, SandboxExtraMissingError

        for process in (False, True):
            try:
                Sandbox(process=process).start()
            except SandboxExtraMissingError as error:
                print(error)
            else:
                raise AssertionError("a sandbox started without FastAPI")
    """)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout
    for line in lines:
        assert "fastapi cannot be imported" in line
        assert line.endswith(INSTALL)


def test_the_console_script_without_the_extra_exits_1_naming_the_fix() -> None:
    done = _without_the_extra("""
        import sys
        from airflow_provider_bigin.sandbox.__main__ import main

        sys.exit(main(["--port", "0"]))
    """)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout == ""  # no URL, no connection line: nothing is listening
    assert done.stderr.startswith("bigin-sandbox: the Bigin sandbox needs FastAPI and uvicorn"), done.stderr
    assert INSTALL in done.stderr


def test_the_console_scripts_help_needs_no_extra() -> None:
    done = _without_the_extra("""
        from airflow_provider_bigin.sandbox.__main__ import main

        main(["--help"])
    """)
    assert done.returncode == 0, done.stderr
    assert "usage: bigin-sandbox" in done.stdout


USER_TESTS = """
def test_uses_the_sandbox(bigin_sandbox):
    raise AssertionError("unreachable: the fixture cannot start a sandbox")


def test_needs_no_sandbox():
    assert True
"""


def test_a_users_suite_without_the_extra_runs_and_the_sandbox_fixture_says_what_to_install(
    tmp_path: Path,
) -> None:
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    done = _without_the_extra(
        f"""
        import sys
        import pytest

        sys.exit(pytest.main(["-p", "{PLUGIN}", "-q", "-p", "no:cacheprovider"]))
        """,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 passed, 1 error" in done.stdout, done.stdout
    assert "SandboxExtraMissingError" in done.stdout
    assert INSTALL in done.stdout
