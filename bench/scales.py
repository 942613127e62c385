"""How big each benchmark run is (importable before Django is set up)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    tickets: int
    agents: int
    articles: int
    feedback: int
    customers: int


SCALES = {
    "small": Scale("small", tickets=10_000, agents=20, articles=1_000, feedback=1_000, customers=3_000),
    "full": Scale("full", tickets=1_000_000, agents=200, articles=20_000, feedback=100_000, customers=200_000),
}
