"""Navarch `maxSkew`: Webster that keeps replica counts per domain within a skew.

Not Karmada: a Navarch extension that only narrows Webster's choice. Each seat goes to the
best-priority party whose domains stay within `maxSkew` (or that lifts a lowest domain).
Seat by seat that costs one pass over the parties per replica, so a large house is divided
coarse to fine: blocks of seats first, each finer stage leaving enough seats to the next
to even out the coarser blocks, the last stage seat by seat. Below `EXACT_SEATS` every
stage is seat by seat.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

STAGE_FACTOR = 8
"""Each stage's blocks are this many times smaller than the previous stage's."""
EXACT_SEATS = 512
"""Houses smaller than this are divided seat by seat (a first stage never has more steps)."""


@dataclass(frozen=True)
class SkewRule:
    """Navarch `maxSkew`: replica counts per domain may differ by at most `max_skew`."""

    max_skew: int
    domains: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class Party:
    """A party in Karmada's order: higher priority, then fewer seats, then the name rule."""

    name: str
    votes: int
    seats: int
    descending: bool

    def priority(self) -> float:
        return float(self.votes) / float(2 * self.seats + 1)

    def __lt__(self, other: "Party") -> bool:
        mine, theirs = self.priority(), other.priority()
        if mine != theirs:
            return mine > theirs
        if self.seats != other.seats:
            return self.seats < other.seats
        if self.descending:
            return self.name > other.name
        return self.name < other.name


class _DomainCounts:
    """Replicas per domain of every rule, kept up to date as seats are given."""

    def __init__(self, rules: Sequence[SkewRule], counts: Mapping[str, int]) -> None:
        self.rules = list(rules)
        self.totals: list[dict[str, int]] = []
        for rule in self.rules:
            totals: dict[str, int] = {}
            for cluster, domains in rule.domains.items():
                for domain in domains:
                    totals[domain] = totals.get(domain, 0) + counts.get(cluster, 0)
            self.totals.append(totals)

    def fits(self, name: str, block: int) -> bool:
        """`block` more seats keep every rule's skew (at least the block), or lift a lowest."""
        for rule, totals in zip(self.rules, self.totals, strict=True):
            if not totals:
                continue
            lowest = min(totals.values())
            mine = rule.domains.get(name, ())
            after = dict(totals)
            for domain in mine:
                after[domain] += block
            if max(after.values()) - min(after.values()) > max(rule.max_skew, block) and not any(
                totals[domain] == lowest for domain in mine
            ):
                return False
        return True

    def add(self, name: str, block: int) -> None:
        for rule, totals in zip(self.rules, self.totals, strict=True):
            for domain in rule.domains.get(name, ()):
                totals[domain] += block


def skewed_seats(
    new_seats: int,
    parties: Sequence[Party],
    rules: Sequence[SkewRule],
    base_counts: Mapping[str, int],
) -> dict[str, int]:
    """Seats per party after `new_seats` more under the rules, coarse to fine."""
    if not parties:
        return {}
    domains = _DomainCounts(rules, base_counts)
    headroom = 4 + 2 * sum(len(totals) for totals in domains.totals)
    block = 1
    while block * STAGE_FACTOR * (EXACT_SEATS // STAGE_FACTOR) <= new_seats:
        block *= STAGE_FACTOR
    remaining = new_seats
    while remaining > 0:
        steps = remaining // block if block == 1 else max(0, remaining // block - headroom)
        for _ in range(steps):
            ranked = sorted(parties)
            pick = next(
                (p for p in ranked if p.votes > 0 and domains.fits(p.name, block)), ranked[0]
            )
            pick.seats += block
            domains.add(pick.name, block)
        remaining -= steps * block
        block = max(1, block // STAGE_FACTOR)
    return {party.name: party.seats for party in parties}
