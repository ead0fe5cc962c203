"""Which OAuth scopes let a token do what.

Source: Zoho's Remove Tags page (docs/zoho-facts.md, section 6: Remove Tags accepts ZohoBigin.modules.ALL,
ZohoBigin.modules.{module}.ALL or ZohoBigin.modules.{module}.WRITE), Bigin's v2 Add Tags page (section 5:
Add Tags also accepts ZohoBigin.modules.{module}.CREATE) and docs/zoho-facts.md, section 2
(settings.tags.READ / CREATE). The rest (READ for module reads, settings.modules.READ) follows Zoho's naming
pattern: the sandbox's model. Scopes compare case-insensitively, as Zoho's consent screen treats them.
"""

from __future__ import annotations

from collections.abc import Iterable

FULL_ACCESS_SCOPE = "ZohoBigin.modules.ALL,ZohoBigin.settings.ALL"

SCOPES_TO_READ_TAGS = (
    "ZohoBigin.settings.ALL",
    "ZohoBigin.settings.tags.ALL",
    "ZohoBigin.settings.tags.READ",
)
SCOPES_TO_CREATE_TAGS = (
    "ZohoBigin.settings.ALL",
    "ZohoBigin.settings.tags.ALL",
    "ZohoBigin.settings.tags.CREATE",
)
SCOPES_TO_READ_MODULES = (
    "ZohoBigin.settings.ALL",
    "ZohoBigin.settings.modules.ALL",
    "ZohoBigin.settings.modules.READ",
)


def scopes_to_write(module_scope_name: str) -> tuple[str, ...]:
    """Any one of these lets a token add or remove a module's tags.

    The list of Zoho's Remove Tags page (docs/zoho-facts.md, section 6).
    """
    return (
        "ZohoBigin.modules.ALL",
        f"ZohoBigin.modules.{module_scope_name}.ALL",
        f"ZohoBigin.modules.{module_scope_name}.WRITE",
    )


def scopes_to_add_tags(module_scope_name: str) -> tuple[str, ...]:
    """Any one of these lets a token add a module's tags: those that write, and CREATE.

    Bigin's v2 Add Tags page (docs/zoho-facts.md, section 5).
    """
    return (*scopes_to_write(module_scope_name), f"ZohoBigin.modules.{module_scope_name}.CREATE")


def scopes_to_read(module_scope_name: str) -> tuple[str, ...]:
    """Any one of these lets a token read a module's records."""
    return (
        "ZohoBigin.modules.ALL",
        f"ZohoBigin.modules.{module_scope_name}.ALL",
        f"ZohoBigin.modules.{module_scope_name}.READ",
    )


def parse_scope(scope: str) -> frozenset[str]:
    """The scopes in a Zoho scope string (comma separated; spaces tolerated), folded for comparison."""
    return frozenset(part.strip().casefold() for part in scope.replace(" ", ",").split(",") if part.strip())


def grants_any(granted: frozenset[str], accepted: Iterable[str]) -> bool:
    """True when the granted scopes include at least one accepted scope."""
    return any(scope.casefold() in granted for scope in accepted)
