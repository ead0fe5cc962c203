"""The built-in demo data: a few thousand records over all seven modules, the same on every run.

``demo_records()`` is public so that the demo can build a SQL warehouse that mirrors exactly what the sandbox
serves. Records are shaped as ``GET /bigin/v2/{module}/{id}`` returns them, ``Tag`` included. The sample
ids of Zoho's Remove Tags page (docs/zoho-facts.md, section 6) are Contacts: 2445013000000402006 carries
"From Email" and "In Progress", and 2445013000000141005 carries "From Webforms" (then "Newsletter"), so the
page's sample request works as shown.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_bigin.sandbox.ids import IdAllocator
from airflow_provider_bigin.sandbox.modules import MODULES

DEMO_SEED = 20240611

DEMO_RECORD_COUNTS: dict[str, int] = {
    "Accounts": 400,
    "Contacts": 1500,
    "Pipelines": 900,
    "Products": 150,
    "Tasks": 600,
    "Events": 300,
    "Calls": 500,
}

TAG_VOCABULARY = (
    "Newsletter",
    "Marketing",
    "Hot Lead",
    "Follow-up",
    "VIP",
    "From Email",
    "In Progress",
    "From Webforms",
    "Cold",
    "Partner",
    "Referral",
    "Trade Show",
    "Renewal",
    "Churn Risk",
    "Webinar",
    "Q3 Campaign",
)
MIN_TAGS_PER_RECORD = 2
MAX_TAGS_PER_RECORD = 5

SAMPLE_RECORDS: dict[str, tuple[str, ...]] = {
    "2445013000000402006": ("From Email", "In Progress"),
    "2445013000000141005": ("From Webforms", "Newsletter"),
}

PIPELINE_STAGES = (
    "Qualification",
    "Needs Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)

_FIRST_NAMES = tuple(
    """
    Ada Amara Ana Arjun Beatriz Carlos Chen Chloe Daniel Elena Emeka Fatima Grace Hana Hugo Ines
    Ivan James Jin Julia Kwame Lars Leila Lucas Maria Mateo Mei Nadia Noah Olivia Omar Priya Rafael
    Sara Sofia Tomas Wei Yara Yusuf Zoe
    """.split()  # noqa: SIM905 - a list of names reads best as text
)
_LAST_NAMES = tuple(
    """
    Abebe Alvarez Andersen Bauer Chowdhury Costa Dubois Fischer Garcia Haddad Ivanova Jansen Kim
    Kowalski Larsen Lopez Mensah Moreau Nakamura Nguyen Novak Okafor Olsen Patel Rossi Sato Schmidt
    Silva Singh Tanaka Virtanen Wang Weber Yilmaz Zhang
    """.split()  # noqa: SIM905 - a list of names reads best as text
)
_COMPANY_WORDS = tuple(
    """
    Amber Apex Blue Bright Cedar Clear Copper Delta Evergreen Granite Harbor Iron Juniper Lumen
    Maple North Nova Oak Orbit Pine Quartz River Silver Summit Terra Vertex West Willow
    """.split()  # noqa: SIM905 - a list of names reads best as text
)
_COMPANY_KINDS = tuple(
    """
    Analytics Bakery Builders Consulting Dental Foods Freight Health Labs Logistics Media Motors
    Outfitters Partners Robotics Software Studios Supply Travel Wellness
    """.split()  # noqa: SIM905 - a list of names reads best as text
)
_CITIES = (
    ("Austin", "United States"),
    ("Boston", "United States"),
    ("Chennai", "India"),
    ("Denver", "United States"),
    ("Dublin", "Ireland"),
    ("Lyon", "France"),
    ("Melbourne", "Australia"),
    ("Munich", "Germany"),
    ("Osaka", "Japan"),
    ("Porto", "Portugal"),
    ("Toronto", "Canada"),
    ("Utrecht", "Netherlands"),
)
_TITLES = (
    "CEO",
    "CTO",
    "Head of Sales",
    "Marketing Manager",
    "Operations Lead",
    "Buyer",
    "Founder",
    "Analyst",
)
_OWNERS = (
    {"name": "Priya Raman", "id": "2445013000000091001", "email": "priya.raman@sandbox-crm.example"},
    {"name": "Tom Becker", "id": "2445013000000091013", "email": "tom.becker@sandbox-crm.example"},
    {"name": "Aiko Mori", "id": "2445013000000091027", "email": "aiko.mori@sandbox-crm.example"},
)
_DEAL_KINDS = ("Renewal", "Expansion", "Pilot", "New business")
_PIPELINE = {"name": "Sales Pipeline Standard", "id": "2445013000000091501"}
_EPOCH = datetime(2023, 1, 2, 9, 0, tzinfo=timezone.utc)


class _Generator:
    """One pass of the seeded random generator; the order of calls is part of the output's identity."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        reserved = set(SAMPLE_RECORDS)
        self.ids = IdAllocator(start=100_000, taken=reserved)
        self.tag_ids: dict[str, dict[str, str]] = {}
        self.records: dict[str, list[dict[str, Any]]] = {module: [] for module in DEMO_RECORD_COUNTS}

    def new_id(self) -> str:
        return self.ids.allocate(step=self.rng.randint(1, 300))

    def tags(self, module: str, names: tuple[str, ...] | None = None) -> list[dict[str, str]]:
        if names is None:
            count = self.rng.randint(MIN_TAGS_PER_RECORD, MAX_TAGS_PER_RECORD)
            names = tuple(self.rng.sample(TAG_VOCABULARY, count))
        module_tags = self.tag_ids.setdefault(module, {})
        for name in names:
            if name not in module_tags:
                module_tags[name] = self.new_id()
        return [{"name": name, "id": module_tags[name]} for name in names]

    def timestamps(self) -> dict[str, Any]:
        created = _EPOCH + timedelta(minutes=self.rng.randint(0, 60 * 24 * 500))
        modified = created + timedelta(minutes=self.rng.randint(0, 60 * 24 * 60))
        return {
            "Owner": dict(self.rng.choice(_OWNERS)),
            "Created_Time": created.isoformat(),
            "Modified_Time": modified.isoformat(),
        }

    def add(self, module: str, record: dict[str, Any], tag_names: tuple[str, ...] | None = None) -> None:
        record.update(self.timestamps())
        record["Tag"] = self.tags(module, tag_names)
        self.records[module].append(record)

    def pick(self, module: str) -> dict[str, Any]:
        return self.rng.choice(self.records[module])


def _lookup(record: dict[str, Any], name_field: str) -> dict[str, str]:
    return {"name": str(record[name_field]), "id": str(record["id"])}


def _accounts(gen: _Generator) -> None:
    seen: set[str] = set()
    while len(gen.records["Accounts"]) < DEMO_RECORD_COUNTS["Accounts"]:
        word, kind = gen.rng.choice(_COMPANY_WORDS), gen.rng.choice(_COMPANY_KINDS)
        name = f"{word} {kind}"
        if name in seen:
            name = f"{word} {gen.rng.choice(_COMPANY_WORDS)} {kind}"
        if name in seen:
            continue
        seen.add(name)
        city, country = gen.rng.choice(_CITIES)
        gen.add(
            "Accounts",
            {
                "id": gen.new_id(),
                "Account_Name": name,
                "Website": f"https://www.{name.lower().replace(' ', '')}.com",
                "Phone": f"+1 555 {gen.rng.randint(100, 999)} {gen.rng.randint(1000, 9999)}",
                "Billing_City": city,
                "Billing_Country": country,
            },
        )


def _contacts(gen: _Generator) -> None:
    emails: set[str] = set()
    sample_ids = list(SAMPLE_RECORDS)
    for index in range(DEMO_RECORD_COUNTS["Contacts"]):
        first, last = gen.rng.choice(_FIRST_NAMES), gen.rng.choice(_LAST_NAMES)
        account = gen.pick("Accounts")
        domain = str(account["Website"]).removeprefix("https://www.")
        email = f"{first}.{last}@{domain}".lower()
        serial = 2
        while email in emails:
            email = f"{first}.{last}{serial}@{domain}".lower()
            serial += 1
        emails.add(email)
        city, country = gen.rng.choice(_CITIES)
        record: dict[str, Any] = {
            "id": sample_ids[index] if index < len(sample_ids) else gen.new_id(),
            "First_Name": first,
            "Last_Name": last,
            "Full_Name": f"{first} {last}",
            "Email": email,
            "Phone": f"+1 555 {gen.rng.randint(100, 999)} {gen.rng.randint(1000, 9999)}",
            "Title": gen.rng.choice(_TITLES),
            "Account_Name": _lookup(account, "Account_Name"),
            "Mailing_City": city,
            "Mailing_Country": country,
            "Email_Opt_Out": gen.rng.random() < 0.08,
        }
        gen.add("Contacts", record, SAMPLE_RECORDS.get(record["id"]))


def _pipelines(gen: _Generator) -> None:
    for _ in range(DEMO_RECORD_COUNTS["Pipelines"]):
        contact = gen.pick("Contacts")
        stage = gen.rng.choices(PIPELINE_STAGES, weights=(20, 15, 15, 10, 20, 20))[0]
        closing = _EPOCH + timedelta(days=gen.rng.randint(30, 720))
        gen.add(
            "Pipelines",
            {
                "id": gen.new_id(),
                "Deal_Name": f"{contact['Account_Name']['name']} - {gen.rng.choice(_DEAL_KINDS)}",
                "Stage": stage,
                "Amount": gen.rng.randint(5, 2500) * 100,
                "Closing_Date": closing.date().isoformat(),
                "Contact_Name": _lookup(contact, "Full_Name"),
                "Account_Name": dict(contact["Account_Name"]),
                "Pipeline": dict(_PIPELINE),
                "Sub_Pipeline": _PIPELINE["name"],
            },
        )


def _products(gen: _Generator) -> None:
    for index in range(DEMO_RECORD_COUNTS["Products"]):
        word, kind = (
            gen.rng.choice(_COMPANY_WORDS),
            gen.rng.choice(("Plan", "Kit", "Licence", "Service", "Module")),
        )
        gen.add(
            "Products",
            {
                "id": gen.new_id(),
                "Product_Name": f"{word} {kind} {index + 1}",
                "Product_Code": f"SKU-{10_000 + index}",
                "Unit_Price": gen.rng.randint(10, 5000) + 0.99,
                "Product_Active": gen.rng.random() < 0.9,
            },
        )


def _tasks(gen: _Generator) -> None:
    statuses = ("Not Started", "In Progress", "Completed", "Deferred", "Waiting for input")
    for _ in range(DEMO_RECORD_COUNTS["Tasks"]):
        deal = gen.pick("Pipelines")
        gen.add(
            "Tasks",
            {
                "id": gen.new_id(),
                "Subject": gen.rng.choice(("Send proposal", "Call back", "Prepare demo", "Review contract")),
                "Due_Date": (_EPOCH + timedelta(days=gen.rng.randint(0, 720))).date().isoformat(),
                "Status": gen.rng.choice(statuses),
                "Priority": gen.rng.choice(("High", "Normal", "Low")),
                "What_Id": _lookup(deal, "Deal_Name"),
                "$se_module": "Pipelines",
            },
        )


def _events(gen: _Generator) -> None:
    for _ in range(DEMO_RECORD_COUNTS["Events"]):
        deal = gen.pick("Pipelines")
        start = _EPOCH + timedelta(hours=gen.rng.randint(0, 24 * 700))
        gen.add(
            "Events",
            {
                "id": gen.new_id(),
                "Event_Title": gen.rng.choice(("Kick-off", "Quarterly review", "Product demo", "Site visit")),
                "Start_DateTime": start.isoformat(),
                "End_DateTime": (start + timedelta(minutes=gen.rng.choice((30, 45, 60, 90)))).isoformat(),
                "Venue": gen.rng.choice(("Online", "Customer office", "Our office")),
                "What_Id": _lookup(deal, "Deal_Name"),
                "$se_module": "Pipelines",
            },
        )


def _calls(gen: _Generator) -> None:
    for _ in range(DEMO_RECORD_COUNTS["Calls"]):
        contact = gen.pick("Contacts")
        start = _EPOCH + timedelta(minutes=gen.rng.randint(0, 60 * 24 * 700))
        gen.add(
            "Calls",
            {
                "id": gen.new_id(),
                "Subject": f"Call with {contact['Full_Name']}",
                "Call_Type": gen.rng.choice(("Outbound", "Inbound")),
                "Call_Start_Time": start.isoformat(),
                "Call_Duration": f"{gen.rng.randint(0, 45):02d}:{gen.rng.randint(0, 59):02d}",
                "Who_Id": _lookup(contact, "Full_Name"),
            },
        )


def demo_records(seed: int = DEMO_SEED) -> dict[str, list[dict[str, Any]]]:
    """Every demo record by module API name, as GET returns them; the same seed gives the same data."""
    gen = _Generator(seed)
    for build in (_accounts, _contacts, _pipelines, _products, _tasks, _events, _calls):
        build(gen)
    return {module: gen.records[module] for module in MODULES}


def demo_seed(seed: int = DEMO_SEED) -> dict[str, Any]:
    """The demo data in the seed-file format (see ``seed.py``), e.g. to write it out and edit it."""
    return {"records": demo_records(seed)}
