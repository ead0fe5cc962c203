"""How RESULTS.md writes its tables and figures: rows, headers, counts, seconds and ratios."""

from __future__ import annotations

NONE = "-"


def table_row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def table_header(*titles: str, align: str = "") -> list[str]:
    """A table header; `align` has an "l" (text) or "r" (figures) per column, figures by default."""
    marks = {"l": "---", "r": "--:"}
    return [table_row(*titles), "|" + "|".join(marks[a] for a in align.ljust(len(titles), "r")) + "|"]


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def whole(value: float) -> str:
    return f"{round(value):,}"


def seconds_text(value: float | None) -> str:
    if value is None:
        return NONE
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if value >= 1 else f"{value:.3f}"


def ratio_text(value: float, base: float) -> str:
    if base == 0:
        return NONE
    ratio = value / base
    if ratio >= 100:
        return f"{ratio:,.0f}x"
    return f"{ratio:.1f}x" if ratio >= 10 else f"{ratio:.2f}x"
