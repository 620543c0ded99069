"""Navarch `maxSkew` division: seat by seat for small houses, coarse to fine for large ones."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.api.propagation import Placement
from shared.placement.dividing import SkewRule, names_descending, webster_seats
from tests.unit.placement.test_examples import example, policy_of, schedule, targets

ODD_UID = "d43fdeeb-d750-4e2b-bee3-64eb94534f4c"


@dataclass
class Party:
    name: str
    votes: int
    seats: int
    descending: bool

    def __lt__(self, other: "Party") -> bool:
        mine = self.votes / (2 * self.seats + 1)
        theirs = other.votes / (2 * other.seats + 1)
        if mine != theirs:
            return mine > theirs
        if self.seats != other.seats:
            return self.seats < other.seats
        return self.name > other.name if self.descending else self.name < other.name


def fits(rules: Sequence[SkewRule], counts: Mapping[str, int], name: str) -> bool:
    for rule in rules:
        per_domain: dict[str, int] = {}
        for cluster, domains in rule.domains.items():
            for domain in domains:
                per_domain[domain] = per_domain.get(domain, 0) + counts.get(cluster, 0)
        if not per_domain:
            continue
        lowest = min(per_domain.values())
        for domain in rule.domains.get(name, ()):
            per_domain[domain] += 1
        if max(per_domain.values()) - min(per_domain.values()) > rule.max_skew and not any(
            per_domain[d] - 1 == lowest for d in rule.domains.get(name, ())
        ):
            return False
    return True


def seat_by_seat(
    new_seats: int, votes: Mapping[str, int], rules: Sequence[SkewRule], uid: str
) -> dict[str, int]:
    """The skew division as it was: sort the parties and check every rule for every seat."""
    parties = [Party(name, vote, 0, names_descending(uid)) for name, vote in votes.items()]
    counts: dict[str, int] = {}
    for _ in range(new_seats):
        ranked = sorted(parties)
        pick = next((p for p in ranked if p.votes > 0 and fits(rules, counts, p.name)), ranked[0])
        pick.seats += 1
        counts[pick.name] = counts.get(pick.name, 0) + 1
    return {p.name: p.seats for p in parties}


ZONES = ["zone-a", "zone-b", "zone-c"]
CLUSTERS = [f"m{i}" for i in range(6)]
VOTES = st.fixed_dictionaries({name: st.integers(min_value=1, max_value=50) for name in CLUSTERS})
ZONE_OF = st.fixed_dictionaries({name: st.sampled_from(ZONES) for name in CLUSTERS})


@settings(max_examples=150, deadline=None)
@given(
    votes=VOTES,
    zone_of=ZONE_OF,
    max_skew=st.integers(min_value=1, max_value=4),
    new_seats=st.integers(min_value=0, max_value=300),
)
def test_small_houses_are_divided_seat_by_seat(
    votes: dict[str, int], zone_of: dict[str, str], max_skew: int, new_seats: int
) -> None:
    rule = SkewRule(max_skew=max_skew, domains={n: (zone_of[n],) for n in CLUSTERS})
    expected = seat_by_seat(new_seats, votes, [rule], ODD_UID)
    assert webster_seats(new_seats, votes, uid=ODD_UID, skew=[rule]) == expected


def spread(result: Mapping[str, int], rule: SkewRule) -> int:
    per_domain: dict[str, int] = {}
    for name, domains in rule.domains.items():
        for domain in domains:
            per_domain[domain] = per_domain.get(domain, 0) + result.get(name, 0)
    return max(per_domain.values()) - min(per_domain.values())


@settings(max_examples=60, deadline=None)
@given(
    votes=VOTES,
    zone_of=ZONE_OF,
    max_skew=st.integers(min_value=1, max_value=50),
    new_seats=st.integers(min_value=2_000, max_value=2_000_000_000),
)
def test_large_houses_keep_the_skew(
    votes: dict[str, int], zone_of: dict[str, str], max_skew: int, new_seats: int
) -> None:
    rule = SkewRule(max_skew=max_skew, domains={n: (zone_of[n],) for n in CLUSTERS})
    result = webster_seats(new_seats, votes, uid=ODD_UID, skew=[rule])
    assert sum(result.values()) == new_seats
    if len(set(zone_of.values())) > 1:
        assert spread(result, rule) <= max_skew


@pytest.mark.timeout(10)
def test_a_billion_replicas_with_the_example_07_skew() -> None:
    """Issue 13: the region/zone maxSkew policy of example 07 with `replicas: 1000000000`."""
    _, policy_doc = example("07")
    policy, extras = policy_of(policy_doc)
    divided = policy.spec.placement.model_copy(deep=True)
    divided.replica_scheduling = Placement.model_validate(
        {
            "replicaScheduling": {
                "replicaDivisionPreference": "Weighted",
                "weightPreference": {
                    "staticWeightList": [
                        {"targetCluster": {"clusterNames": ["cluster-zone-a"]}, "weight": 3},
                        {"targetCluster": {"clusterNames": ["cluster-zone-b"]}, "weight": 1},
                    ]
                },
            }
        }
    ).replica_scheduling
    workload, _ = example("07")
    assert workload is not None
    workload["spec"]["replicas"] = 1_000_000_000
    balanced = targets(schedule(workload, policy, extras, placement=divided))
    assert sum(balanced.values()) == 1_000_000_000
    assert abs(balanced["cluster-zone-a"] - balanced["cluster-zone-b"]) <= 1
