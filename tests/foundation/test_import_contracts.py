"""Each import contract in pyproject.toml breaks when one forbidden import is added, and holds otherwise.

`make lint` checks the contracts on the package as it is; these tests prove that they can fail at all. A
contract that names a module which has moved, or a wall with a gap in it, would otherwise pass in silence.
Every case lints a copy of the package, changed by one import, with the project's own configuration.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

REPO_ROOT = Path(__file__).parents[2]
PYPROJECT = REPO_ROOT / "pyproject.toml"
PACKAGE = "airflow_provider_bigin"
# The linter of the interpreter running the tests, so both Airflow lines check with their own pins.
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


@dataclass(frozen=True)
class Breach:
    """One import appended to one module of the copy, and the contracts it must break."""

    module: str
    code: str
    breaks: frozenset[str]


# One case for each contract, keyed by its id in pyproject.toml.
BREACHES = {
    "client-without-airflow": Breach(
        "client/plan.py", "import airflow", frozenset({"client-without-airflow"})
    ),
    "sandbox-apart": Breach(
        "sandbox/__init__.py", "from airflow_provider_bigin import errors", frozenset({"sandbox-apart"})
    ),
    # The hooks build on the client and on Airflow, so an import of them from the client also reaches
    # Airflow and closes a cycle: no import can break this contract alone.
    "client-below-hooks": Breach(
        "client/plan.py",
        "from airflow_provider_bigin.hooks import bigin",
        frozenset({"client-below-hooks", "client-without-airflow", "no-cycles"}),
    ),
    # The client's results raise the errors of errors.py, so errors.py importing them back is a cycle.
    "no-cycles": Breach(
        "errors.py", "from airflow_provider_bigin.client import results", frozenset({"no-cycles"})
    ),
}

# The same import as the cycle above, made for type checkers only: it never runs, so it is no cycle.
TYPE_CHECKING_ONLY = Breach(
    "errors.py",
    "from typing import TYPE_CHECKING\n\n"
    "if TYPE_CHECKING:\n"
    "    from airflow_provider_bigin.client import results",
    frozenset(),
)


def _config() -> dict[str, Any]:
    with PYPROJECT.open("rb") as file:
        config: dict[str, Any] = tomllib.load(file)["tool"]["importlinter"]
    return config


def _contract_names() -> dict[str, str]:
    return {contract["id"]: contract["name"] for contract in _config()["contracts"]}


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A copy of the package in a directory of its own, which the linter is pointed at instead of the tree."""
    shutil.copytree(REPO_ROOT / PACKAGE, tmp_path / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _breach(root: Path, breach: Breach) -> None:
    module = root / PACKAGE / breach.module
    assert module.is_file(), f"{breach.module} is gone from the package: the case needs another module"
    source = module.read_text(encoding="utf-8")
    module.write_text(f"{source.rstrip()}\n\n{breach.code}\n", encoding="utf-8")


def _lint(root: Path) -> tuple[int, dict[str, str], str]:
    """lint-imports on the copy at root: its exit code, KEPT or BROKEN by contract id, and its output."""
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "1000", "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    # lint-imports puts its working directory first on the path, as `python -c` does, and PYTHONPATH comes
    # before the editable install of the tree: the package it finds there must be the copy.
    located = subprocess.run(
        [sys.executable, "-c", f"import importlib.util; print(importlib.util.find_spec({PACKAGE!r}).origin)"],
        env=env, cwd=root, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert Path(located.stdout.strip()) == root / PACKAGE / "__init__.py", located.stdout
    assert LINT_IMPORTS.is_file(), f"no lint-imports beside {sys.executable}: is the dev extra installed?"
    # --config, not the positional argument, because import-linter for Python 3.10 (2.15) knows only that.
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(PYPROJECT)],
        env=env, cwd=root, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    results = {}
    for contract_id, name in _contract_names().items():
        verdicts = [
            line[len(name) :].split()[0] for line in output.splitlines() if line.startswith(f"{name} ")
        ]
        assert len(verdicts) == 1, f"no single result line for {name!r} in:\n{output}"
        results[contract_id] = verdicts[0]
    return done.returncode, results, output


def _expected(breaks: frozenset[str]) -> dict[str, str]:
    return {contract_id: "BROKEN" if contract_id in breaks else "KEPT" for contract_id in _contract_names()}


def test_every_contract_has_a_case_that_breaks_it():
    assert set(BREACHES) == set(_contract_names())


def test_sandbox_wall_names_every_sibling_of_the_sandbox():
    """A module added beside the sandbox later must join the forbidden list, or the wall has a gap."""
    package = REPO_ROOT / PACKAGE
    siblings = {
        f"{PACKAGE}.{path.stem}"
        for path in package.iterdir()
        if (path.suffix == ".py" and path.name != "__init__.py")
        or (path.is_dir() and path.name != "__pycache__" and any(path.rglob("*.py")))
    }
    (wall,) = [contract for contract in _config()["contracts"] if contract["id"] == "sandbox-apart"]
    assert wall["source_modules"] == [f"{PACKAGE}.sandbox"]
    assert set(wall["forbidden_modules"]) == siblings - {f"{PACKAGE}.sandbox"}


def test_the_package_as_it_is_keeps_every_contract(package_copy: Path):
    returncode, results, output = _lint(package_copy)
    assert results == _expected(frozenset()), output
    assert returncode == 0, output


@pytest.mark.parametrize("contract_id", sorted(BREACHES))
def test_one_forbidden_import_breaks_its_contract(package_copy: Path, contract_id: str):
    breach = BREACHES[contract_id]
    _breach(package_copy, breach)
    returncode, results, output = _lint(package_copy)
    assert results == _expected(breach.breaks), output
    assert returncode != 0, output


def test_an_import_for_type_checkers_only_closes_no_cycle(package_copy: Path):
    _breach(package_copy, TYPE_CHECKING_ONLY)
    returncode, results, output = _lint(package_copy)
    assert results == _expected(TYPE_CHECKING_ONLY.breaks), output
    assert returncode == 0, output
