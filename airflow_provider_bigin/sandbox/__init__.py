"""An offline Zoho Accounts + Bigin v2 API on 127.0.0.1, for tests, the demo and users' own DAG tests.

Written from docs/zoho-facts.md, Zoho's Remove Tags page included (section 6), never from the provider's
client: it imports nothing from the rest of the package, so that the two cannot share a misunderstanding.
FastAPI and uvicorn, the ``sandbox`` extra, are imported only when a server starts (the pytest plugin imports
this package in every pytest session); without them, starting one raises ``SandboxExtraMissingError``.
"""

from __future__ import annotations

from airflow_provider_bigin.sandbox.demo_data import demo_records, demo_seed
from airflow_provider_bigin.sandbox.faults import NAMED_PROFILES, FaultProfile
from airflow_provider_bigin.sandbox.harness import Sandbox, SandboxError, SandboxExtraMissingError
from airflow_provider_bigin.sandbox.seed import SeedError

__all__ = [
    "NAMED_PROFILES",
    "FaultProfile",
    "Sandbox",
    "SandboxError",
    "SandboxExtraMissingError",
    "SeedError",
    "demo_records",
    "demo_seed",
]
