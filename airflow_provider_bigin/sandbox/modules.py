"""The seven Bigin modules the sandbox serves, by API name.

Source: docs/zoho-facts.md, section 1 (module API names; Accounts are shown as Companies and Pipelines hold
the deals) and the scope list of Zoho's Remove Tags page (docs/zoho-facts.md, section 6: the module part of a
scope is lower case).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModuleInfo:
    """What the server needs to know about one module."""

    api_name: str
    singular_label: str
    plural_label: str
    module_id: str
    name_field: str  # the field a lookup ({"name", "id"}) to this module shows as "name"

    @property
    def scope_name(self) -> str:
        """The module part of an OAuth scope, e.g. ``contacts`` in ``ZohoBigin.modules.contacts.WRITE``."""
        return self.api_name.lower()


MODULES: dict[str, ModuleInfo] = {
    info.api_name: info
    for info in (
        ModuleInfo("Contacts", "Contact", "Contacts", "2445013000000000125", "Full_Name"),
        ModuleInfo("Pipelines", "Pipeline", "Pipelines", "2445013000000000131", "Deal_Name"),
        ModuleInfo("Accounts", "Company", "Companies", "2445013000000000127", "Account_Name"),
        ModuleInfo("Products", "Product", "Products", "2445013000000000133", "Product_Name"),
        ModuleInfo("Tasks", "Task", "Tasks", "2445013000000000135", "Subject"),
        ModuleInfo("Events", "Event", "Events", "2445013000000000137", "Event_Title"),
        ModuleInfo("Calls", "Call", "Calls", "2445013000000000139", "Subject"),
    )
}


def find_module(api_name: str) -> ModuleInfo | None:
    """The module with exactly this API name.

    The sandbox's model: names match exactly, and display labels or old names (``Companies``, ``Deals``) are
    refused with INVALID_MODULE, so a client that would only work by luck on the real service fails here.
    """
    return MODULES.get(api_name)
