"""Webster / Sainte-Laguë seats by arithmetic: the work grows with the parties, not the seats.

Karmada hands out one seat at a time to the party with the best priority
votes/(2·seats + 1) (`util/helper/webstermethod.go`). A `replicas: 1000000000` Deployment
then costs a billion heap operations, so the bulk of the seats is found with a divisor and
only the last few per party are handed out one at a time, with Karmada's exact tie-break.
"""

import heapq
import math
from collections.abc import Mapping, Sequence


def priority(vote: int, held: int) -> float:
    """The heap's priority, as floats exactly like Karmada's `float64(votes)/float64(2s+1)`."""
    return float(vote) / float(2 * held + 1)


def divide_seats(
    new_seats: int, ballots: Mapping[str, int], seats: Mapping[str, int], *, descending: bool
) -> dict[str, int]:
    """Seats per party after `new_seats` more, as one-at-a-time Webster would leave them."""
    if new_seats <= 0 or not seats:
        return dict(seats)
    bulk = _bulk_seats(new_seats, ballots, seats)
    given = sum(bulk.values()) - sum(seats.values())
    _pop_best(new_seats - given, ballots, bulk, descending=descending)
    return bulk


def _pop_best(
    count: int, ballots: Mapping[str, int], seats: dict[str, int], *, descending: bool
) -> None:
    """Give `count` seats one at a time to the best party: only the last few, after the bulk."""
    if count <= 0:
        return
    sign = -1 if descending else 1
    # (-priority, seats, name rank): Karmada's order (priority, fewer seats, name) as a tuple.
    heap = [
        (-priority(ballots[name], seats[name]), seats[name], sign * rank, name)
        for rank, name in enumerate(sorted(seats))
    ]
    heapq.heapify(heap)
    for _ in range(count):
        _, held, rank, name = heap[0]
        held += 1
        heapq.heapreplace(heap, (-priority(ballots[name], held), held, rank, name))
        seats[name] = held


def _seats_above(vote: int, held: int, threshold: float) -> int:
    """How many more seats keep a priority above `threshold`: the k ≥ held with p(k) > t."""
    estimate = (vote / threshold - 1.0) / 2.0
    first_below = max(held, math.ceil(min(estimate, 2.0**62)))
    while first_below > held and priority(vote, first_below - 1) <= threshold:
        first_below -= 1
    while priority(vote, first_below) > threshold:
        first_below += 1
    return first_below - held


def _divisor(new_seats: int, parties: Sequence[tuple[int, int]]) -> float:
    """A threshold t whose continuous count Σ max(0, (v/t - 1)/2 - held) is `new_seats`.

    Parties join as t falls below their next priority v/(2·held + 1); between two joins the
    count is (V/t - n)/2 - H over the n parties in, so t = V / (2(new_seats + H) + n).
    """
    joined = sorted(parties, key=lambda party: -priority(*party))
    total_votes = total_held = 0
    threshold = 0.0
    for index, (vote, held) in enumerate(joined):
        total_votes += vote
        total_held += held
        threshold = total_votes / (2 * (new_seats + total_held) + index + 1)
        following = joined[index + 1] if index + 1 < len(joined) else None
        if following is None or threshold >= priority(*following):
            break
    return threshold


def _bulk_seats(
    new_seats: int, ballots: Mapping[str, int], seats: Mapping[str, int]
) -> dict[str, int]:
    """Seats that one-at-a-time Webster surely hands out first, found by arithmetic.

    Every seat whose priority is above a threshold t outranks every seat at or below it, so
    when there are at most `new_seats` of them they are all among the winners. t is set so
    that about `new_seats - 2·parties` seats are above it: at most a few per party are left
    for `_pop_best`, which breaks their ties exactly as the heap does. Without votes every
    priority is 0 and seats go to the fewest-seated parties first: a water level.
    """
    voters = [name for name, vote in ballots.items() if vote > 0]
    bulk = dict(seats)
    target = new_seats - 2 * len(voters)
    if voters:
        if target <= 0:
            return bulk
        threshold = _divisor(target, [(ballots[name], seats[name]) for name in voters])
        above = {name: _seats_above(ballots[name], seats[name], threshold) for name in voters}
        while sum(above.values()) > new_seats:
            threshold *= 2.0
            above = {name: _seats_above(ballots[name], seats[name], threshold) for name in voters}
        for name, extra in above.items():
            bulk[name] += extra
        return bulk
    blank = [name for name, vote in ballots.items() if vote == 0]
    if not blank:
        raise ValueError("Webster division needs votes of zero or more")
    level = _water_level(new_seats, [seats[name] for name in blank])
    for name in blank:
        bulk[name] = max(seats[name], level)
    return bulk


def _water_level(new_seats: int, held: Sequence[int]) -> int:
    """The highest level h with Σ max(0, h - held) ≤ new_seats, by binary search."""
    low, high = min(held), min(held) + new_seats
    while low < high:
        middle = (low + high + 1) // 2
        if sum(max(0, middle - h) for h in held) <= new_seats:
            low = middle
        else:
            high = middle - 1
    return low
