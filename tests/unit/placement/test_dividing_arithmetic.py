"""Webster by arithmetic: the same seats as handing them out one at a time, for any house size.

The reference below is the one-seat-at-a-time heap the division used before (Karmada's
`AllocateWebsterSeats` loop); the property tests hold the arithmetic version to it exactly.
"""

import heapq
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.api.binding import ObjectReference
from shared.api.propagation import Placement, default_placement
from shared.placement.dividing import names_descending, webster_seats
from shared.placement.placing import place
from tests.seed_fleet import seed_clusters

EVEN_UID = "4858ca61-3ff8-4095-8267-f3d059d8074c"
ODD_UID = "d43fdeeb-d750-4e2b-bee3-64eb94534f4c"


def one_seat_at_a_time(
    new_seats: int, votes: Mapping[str, int], initial: Mapping[str, int], uid: str
) -> dict[str, int]:
    """Pop the best party `new_seats` times: (priority desc, seats asc, the uid's name rule)."""
    seats = dict(initial)
    ballots = dict.fromkeys(seats, 0)
    for name, vote in votes.items():
        ballots[name] = vote
        seats.setdefault(name, 0)
    if new_seats <= 0 or not seats:
        return seats
    sign = -1 if names_descending(uid) else 1
    heap = [
        (-(float(ballots[name]) / float(2 * seats[name] + 1)), seats[name], sign * rank, name)
        for rank, name in enumerate(sorted(seats))
    ]
    heapq.heapify(heap)
    for _ in range(new_seats):
        _, held, rank, name = heap[0]
        held += 1
        priority = -(float(ballots[name]) / float(2 * held + 1))
        heapq.heapreplace(heap, (priority, held, rank, name))
        seats[name] = held
    return seats


NAMES = st.sampled_from([f"c{i}" for i in range(8)])
EXTREME_VOTES = [0, 1, 2, 3, 7, 10, 1_000, 2**31 - 1]


@settings(max_examples=400, deadline=None)
@given(
    votes=st.dictionaries(NAMES, st.integers(min_value=0, max_value=2_000), max_size=6),
    initial=st.dictionaries(NAMES, st.integers(min_value=0, max_value=60), max_size=6),
    new_seats=st.integers(min_value=0, max_value=400),
    uid=st.sampled_from(["", EVEN_UID, ODD_UID]),
)
def test_arithmetic_webster_matches_one_seat_at_a_time(
    votes: dict[str, int], initial: dict[str, int], new_seats: int, uid: str
) -> None:
    expected = one_seat_at_a_time(new_seats, votes, initial, uid)
    assert webster_seats(new_seats, votes, initial, uid=uid) == expected


@settings(max_examples=200, deadline=None)
@given(
    votes=st.dictionaries(NAMES, st.sampled_from(EXTREME_VOTES), max_size=6),
    initial=st.dictionaries(NAMES, st.integers(min_value=0, max_value=5), max_size=4),
    new_seats=st.integers(min_value=0, max_value=3_000),
    uid=st.sampled_from(["", ODD_UID]),
)
def test_ties_and_extreme_votes_match_one_seat_at_a_time(
    votes: dict[str, int], initial: dict[str, int], new_seats: int, uid: str
) -> None:
    """Equal votes tie on every round; huge and tiny votes stress the divisor estimate."""
    expected = one_seat_at_a_time(new_seats, votes, initial, uid)
    assert webster_seats(new_seats, votes, initial, uid=uid) == expected


@pytest.mark.parametrize(
    ("votes", "initial"),
    [
        ({"a": 1, "b": 1, "c": 1}, {}),
        ({"a": 5, "b": 3}, {"a": 400_000, "b": 0}),
        ({"a": 0, "b": 0}, {"a": 3}),
        ({"big": 2**31 - 1, "small": 1}, {}),
    ],
    ids=["three-way tie", "a holds far more than its share", "no votes", "huge and tiny"],
)
def test_a_large_house_matches_one_seat_at_a_time(
    votes: dict[str, int], initial: dict[str, int]
) -> None:
    new_seats = 1_000_000
    expected = one_seat_at_a_time(new_seats, votes, initial, ODD_UID)
    assert webster_seats(new_seats, votes, initial, uid=ODD_UID) == expected


@pytest.mark.timeout(10)
def test_a_billion_seats_are_divided_by_arithmetic() -> None:
    """Issue 13: 1e9 seats used to take 1e9 heap operations (the scheduler at 100 % CPU)."""
    votes = {f"member-{i}": weight for i, weight in enumerate([1, 2, 3, 5, 8, 13, 21])}
    for _ in range(200):
        result = webster_seats(1_000_000_000, votes, uid=ODD_UID)
        assert sum(result.values()) == 1_000_000_000
    # Sainte-Laguë's criterion: no party's next seat outranks any party's last seat.
    next_seat = max(vote / (2 * result[name] + 1) for name, vote in votes.items())
    last_seat = min(vote / (2 * result[name] - 1) for name, vote in votes.items())
    assert next_seat <= last_seat


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "replica_scheduling",
    [
        {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"},
        {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"},
        {
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
            "weightPreference": {"dynamicWeight": "AvailableReplicas"},
        },
        {"replicaSchedulingType": "Duplicated"},
    ],
    ids=["static weight", "aggregated", "dynamic weight", "duplicated"],
)
def test_a_billion_replicas_over_the_seed_fleet(replica_scheduling: dict[str, object]) -> None:
    """`replicas: 1000000000` (a legal int32) is placed in a blink, or refused for capacity."""
    clusters = list(seed_clusters().values())
    result = place(
        resource=ObjectReference(
            api_version="apps/v1", kind="Deployment", namespace="default", name="huge", uid=ODD_UID
        ),
        replicas=1_000_000_000,
        replica_requirements=None,
        placement=default_placement(
            Placement.model_validate({"replicaScheduling": replica_scheduling})
        ),
        clusters=clusters,
    )
    if result.failure is None:
        assert result.clusters
        per_cluster = [t.replicas for t in result.clusters]
        if replica_scheduling["replicaSchedulingType"] == "Duplicated":
            assert set(per_cluster) == {1_000_000_000}
        else:
            assert sum(per_cluster) == 1_000_000_000
    else:
        assert "not enough" in result.failure.message
