"""A count with its noun, singular or plural: ``1 call``, ``2 calls``, ``0 records``.

Messages that count things say the number a user reads first; "1 calls" makes them doubt the rest. English
only, and only the nouns this package counts: an irregular plural is passed in, never guessed.
"""

from __future__ import annotations


def noun_for(count: int, noun: str, plural: str | None = None) -> str:
    """The noun as it goes with ``count``: singular for exactly 1, else the plural (noun + "s" by default)."""
    if count == 1:
        return noun
    return plural if plural is not None else noun + "s"


def count_noun(count: int, noun: str, plural: str | None = None, *, thousands: bool = False) -> str:
    """``"1 call"``, ``"2 calls"``; ``thousands`` writes ``20,000`` where a message already grouped digits."""
    number = f"{count:,}" if thousands else str(count)
    return f"{number} {noun_for(count, noun, plural)}"
