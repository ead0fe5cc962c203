"""What Airflow's "Add Connection" dialog shows, read from its HTML, and how it differs from the contract.

The dialog is parsed with the standard library's HTML parser, not in the browser, so that the checker can be
fed a page that lacks a field and be seen to fail (``test_ui_checkers.py``), without a browser. Airflow 3's
UI (Chakra UI) renders every form field as ``data-scope="field" data-part="root"`` holding a label and a
named control: ``login``/``password``/``description`` for standard fields, ``element_<name>`` for the fields
of the connection's extra. A choice is a react-select with a hidden named input (Airflow 3.2+), or a Chakra
select whose root is ``id="select:element_<name>"`` and shows its value in a ``value-text`` part (3.1).
Fields the UI hides are not rendered at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser

#: The prefix Airflow's UI gives the controls of ``conn-fields`` (stored in the connection's extra).
EXTRA_PREFIX = "element_"
#: Standard fields the UI always shows, whatever the connection type.
ALWAYS_SHOWN = frozenset({"connection_id", "description"})
#: What Airflow shows in place of a value it redacted.
REDACTED = "***"
_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


@dataclass(frozen=True)
class FormField:
    """One field as the user sees it: its label, the connection attribute it fills, its control and value."""

    label: str
    name: str  # "login", "password", ... or the extra's key ("refresh_token")
    control: str  # "password", "text", "number", "select" or "textarea"
    value: str


@dataclass(frozen=True)
class FormContract:
    """What a connection type's form must show: field name -> label, the secrets, defaults, hidden fields."""

    fields: Mapping[str, str]
    secrets: frozenset[str]
    defaults: Mapping[str, str] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset({"host", "port", "schema"})


@dataclass
class _OpenField:
    depth: int
    label: list[str] = field(default_factory=list)
    controls: list[dict[str, str]] = field(default_factory=list)
    choice: list[str] = field(default_factory=list)  # the text a Chakra select shows as its value


class _DialogParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[FormField] = []
        self.text: list[str] = []
        self._depth = 0
        self._open: _OpenField | None = None
        self._label_depth: int | None = None
        self._choice_depth: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag not in _VOID_TAGS:
            self._depth += 1
        if attributes.get("data-scope") == "field" and attributes.get("data-part") == "root":
            self._open = _OpenField(self._depth)
        elif self._open is not None:
            if attributes.get("data-part") == "label":
                self._label_depth = self._depth
            if attributes.get("data-part") == "value-text":
                self._choice_depth = self._depth
            if tag in ("input", "textarea", "select"):
                self._open.controls.append({"tag": tag, **attributes})
            elif attributes.get("data-scope") == "select" and attributes.get("data-part") == "root":
                name = attributes.get("id", "").removeprefix("select:")
                self._open.controls.append({"tag": "choice", "name": name, "role": "combobox"})

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_TAGS:
            return
        if self._label_depth == self._depth:
            self._label_depth = None
        if self._choice_depth == self._depth:
            self._choice_depth = None
        if self._open is not None and self._open.depth == self._depth:
            self._close_field(self._open)
            self._open = None
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._open is not None and self._label_depth is not None:
            self._open.label.append(data)
        if self._open is not None and self._choice_depth is not None:
            self._open.choice.append(data)

    def _close_field(self, open_field: _OpenField) -> None:
        named = [control for control in open_field.controls if control.get("name")]
        if not named:
            return
        control = named[0]
        name = control["name"].removeprefix(EXTRA_PREFIX)
        label = " ".join("".join(open_field.label).split()).rstrip("*").strip()
        value = "".join(open_field.choice).strip() if control["tag"] == "choice" else control.get("value", "")
        self.fields.append(FormField(label, name, _control_kind(control, open_field.controls), value))


def _control_kind(named: Mapping[str, str], controls: list[dict[str, str]]) -> str:
    if named["tag"] == "textarea":
        return "textarea"
    if named.get("type") == "password":
        return "password"
    if named.get("role") == "spinbutton":
        return "number"
    if any(control.get("role") == "combobox" for control in controls):
        return "select"
    return "text"


def parse_form(dialog_html: str) -> tuple[list[FormField], str]:
    """The dialog's fields in page order, and all of its text."""
    parser = _DialogParser()
    parser.feed(dialog_html)
    parser.close()
    return parser.fields, " ".join(parser.text)


def form_problems(fields: list[FormField], text: str, contract: FormContract) -> list[str]:
    """Every way the shown form differs from the contract; empty when the user sees exactly the contract."""
    shown = {f.name: f for f in fields}
    problems = [
        f"field {name!r} ({label}) is missing" for name, label in contract.fields.items() if name not in shown
    ]
    problems += [
        f"field {name!r} ({shown[name].label}) is shown but the contract has no such field"
        for name in shown
        if name not in contract.fields and name not in ALWAYS_SHOWN
    ]
    problems += [
        f"unused field {name!r} is shown, not hidden" for name in sorted(contract.hidden & set(shown))
    ]
    for name, label in contract.fields.items():
        if name not in shown:
            continue
        got = shown[name]
        if got.label != label:
            problems.append(f"field {name!r} is labelled {got.label!r}, not {label!r}")
        if (name in contract.secrets) != (got.control == "password"):
            wanted = "a password field" if name in contract.secrets else "not a password field"
            problems.append(f"field {name!r} is a {got.control} control; it must be {wanted}")
        if name in contract.defaults and got.value != contract.defaults[name]:
            problems.append(
                f"field {name!r} shows {got.value!r}, not its default {contract.defaults[name]!r}"
            )
    if REDACTED in text:
        problems.append(f"the form shows a redacted value {REDACTED!r} where the user must see the real one")
    return problems
