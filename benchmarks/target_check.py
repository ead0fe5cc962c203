"""One target checked against a run: what it asks, what was measured, met or not, and why not."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TargetCheck:
    target: str
    measured: str
    met: bool
    why: str = ""  # for a missed target: by how much and why


def mb(mib: float) -> float:
    """MiB (what the kernel counts in KiB) as decimal MB, the unit the targets are stated in."""
    return mib * 1024 * 1024 / 1e6
