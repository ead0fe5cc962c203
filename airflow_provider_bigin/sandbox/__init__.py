"""An offline Zoho Accounts + Bigin v2 API on 127.0.0.1, for tests, the demo and users' own DAG tests."""

from __future__ import annotations
