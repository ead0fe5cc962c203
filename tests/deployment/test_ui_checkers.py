"""The UI check's judges, fed pages without a browser: each fails on the page it must reject.

The pages are written in the shape Airflow 3.3's UI renders (a ``data-scope="field" data-part="root"`` per
field, the control named ``login``/``password`` or ``element_<extra>``); the UI check feeds the same
functions the live dialog and XCom view.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from tests.deployment.connection_contract import CONTRACT, contract_for
from tests.deployment.ui_form import form_problems, parse_form
from tests.deployment.ui_xcom import xcom_view_problems


def _field(label: str, control: str) -> str:
    return (
        '<div data-scope="field" data-part="root" role="group"><div>'
        f'<label data-scope="field" data-part="label">{label} <span aria-hidden="true">*</span></label>'
        f"</div><div>{control}</div></div>"
    )


def _input(name: str, kind: str = "text", value: str = "") -> str:
    return f'<input data-part="input" type="{kind}" name="{name}" value="{value}">'


def _select(name: str, value: str) -> str:
    return (
        f'<div id="{name}"><input role="combobox" type="text" value="">'
        f'<input type="hidden" name="{name}" value="{value}"></div>'
    )


def _number(name: str) -> str:
    return (
        f'<div data-scope="number-input"><input role="spinbutton" type="text" name="{name}" value=""></div>'
    )


def _controls() -> dict[str, str]:
    """The control the UI renders for every field of the contract, as it should."""
    return {
        "login": _input("login"),
        "password": _input("password", "password"),
        "refresh_token": _input("element_refresh_token", "password"),
        "data_center": _select("element_data_center", "us"),
        "accounts_url": _input("element_accounts_url"),
        "api_domain": _input("element_api_domain"),
        "timeout": _number("element_timeout"),
        "max_concurrency": _number("element_max_concurrency"),
        "cache_backend": _select("element_cache_backend", "auto"),
    }


def _dialog(
    controls: Mapping[str, str], *, labels: Mapping[str, str] | None = None, extra_json: str = "{}"
) -> str:
    labels = {**CONTRACT.fields, **(labels or {})}
    fields = [
        _field("Connection ID", _input("connection_id")),
        _field("Description", '<textarea name="description"></textarea>'),
    ]
    fields += [_field(labels.get(name, name.title()), control) for name, control in controls.items()]
    body = "".join(fields)
    return f'<div role="dialog"><h2>Add Connection</h2>{body}<div class="cm-content">{extra_json}</div></div>'


def _problems(html: str) -> list[str]:
    fields, text = parse_form(html)
    return form_problems(fields, text, CONTRACT)


def test_form_check_passes_a_form_that_shows_exactly_the_contract() -> None:
    assert _problems(_dialog(_controls())) == []


@pytest.mark.parametrize("missing", ["password", "refresh_token", "api_domain", "cache_backend"])
def test_form_check_fails_when_a_field_of_the_contract_is_missing(missing: str) -> None:
    controls = {name: control for name, control in _controls().items() if name != missing}

    problems = _problems(_dialog(controls))

    assert problems == [f"field {missing!r} ({CONTRACT.fields[missing]}) is missing"]


def test_form_check_fails_when_a_secret_is_a_plain_text_field() -> None:
    controls = {**_controls(), "refresh_token": _input("element_refresh_token")}

    assert _problems(_dialog(controls)) == [
        "field 'refresh_token' is a text control; it must be a password field"
    ]


def test_form_check_fails_when_an_unused_standard_field_is_shown() -> None:
    controls = {**_controls(), "host": _input("host")}

    assert "unused field 'host' is shown, not hidden" in _problems(_dialog(controls))


def test_form_check_fails_when_a_default_is_not_shown() -> None:
    controls = {**_controls(), "cache_backend": _select("element_cache_backend", "")}

    assert _problems(_dialog(controls)) == ["field 'cache_backend' shows '', not its default 'auto'"]


def test_form_check_fails_when_the_form_shows_a_redacted_value() -> None:
    html = _dialog(_controls(), extra_json=json.dumps({"cache_backend": "***"}))

    assert _problems(html) == ["the form shows a redacted value '***' where the user must see the real one"]


def test_form_check_fails_on_a_wrong_label() -> None:
    assert _problems(_dialog(_controls(), labels={"login": "Login"})) == [
        "field 'login' is labelled 'Login', not 'Client ID'"
    ]


RESULTS = [
    {
        "id": "2445013000000169939",
        "status": "success",
        "code": "SUCCESS",
        "message": "tags updated successfully",
    },
    {
        "id": "2445013000000238951",
        "status": "success",
        "code": "SUCCESS",
        "message": "tags updated successfully",
    },
]
SUMMARY = {"module": "Contacts", "requested": 2, "succeeded": 2, "failed": 0, "api_calls": 1}


def _xcom_view(entries: Mapping[str, Any]) -> str:
    """The XCom table's text as the UI prints it: key, timestamp, pretty JSON value."""
    return "Key timestamp Value\n" + "\n".join(
        f"{key}\t2026-11-29 16:22:18\t{json.dumps(value, indent=2)}\nCopy" for key, value in entries.items()
    )


def test_xcom_check_passes_a_view_with_the_results_and_the_summary() -> None:
    view = _xcom_view({"return_value": RESULTS, "summary": SUMMARY})

    assert xcom_view_problems(view, RESULTS, SUMMARY) == []


def test_xcom_check_fails_when_the_view_lacks_the_results() -> None:
    view = _xcom_view({"summary": SUMMARY})

    problems = xcom_view_problems(view, RESULTS, SUMMARY)

    assert "the XCom 'return_value' is not listed" in problems
    assert "the first record's id ('2445013000000169939') is not shown" in problems


def test_xcom_check_fails_when_the_view_shows_other_results_than_the_api() -> None:
    shown = [{**RESULTS[0], "status": "error", "code": "INVALID_DATA"}]
    view = _xcom_view({"return_value": shown, "summary": SUMMARY})

    assert xcom_view_problems(view, RESULTS, SUMMARY) == [
        "the first record's status ('success') is not shown",
        "the first record's code ('SUCCESS') is not shown",
    ]


def test_xcom_check_fails_when_the_view_lacks_the_summary() -> None:
    view = _xcom_view({"return_value": RESULTS})

    problems = xcom_view_problems(view, RESULTS, SUMMARY)

    assert problems[0] == "the XCom 'summary' is not listed"
    assert "the summary's requested (2) is not shown" in problems


def test_contract_on_airflow_3_1_accepts_the_refresh_token_in_clear_and_nothing_else() -> None:
    controls = {**_controls(), "refresh_token": _input("element_refresh_token")}
    fields, text = parse_form(_dialog(controls))

    assert form_problems(fields, text, contract_for("3.1.8")) == []
    assert form_problems(fields, text, contract_for("3.3.2")) != []
    assert contract_for("3.1.8").fields == contract_for("3.3.2").fields
