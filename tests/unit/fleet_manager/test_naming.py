"""One AttachedCluster owns each Cluster name: oldest first, then namespace/name."""

import pytest

from services.fleet_manager.naming import name_conflict_condition, name_owner
from shared.api.fleet import AttachedCluster


def attached(
    namespace: str, name: str, created: str | None, *, deleting: bool = False
) -> AttachedCluster:
    metadata: dict[str, object] = {"name": name, "namespace": namespace}
    if created:
        metadata["creationTimestamp"] = created
    if deleting:
        metadata["deletionTimestamp"] = "2026-01-01T13:00:00Z"
    return AttachedCluster.model_validate(
        {"metadata": metadata, "spec": {"kubeconfig": {"name": f"{name}-kubeconfig"}}}
    )


@pytest.mark.parametrize(
    ("candidates", "owner"),
    [
        ([], None),
        ([attached("team-a", "east", "2026-01-01T10:00:00Z")], ("team-a", "east")),
        (
            [
                attached("team-a", "east", "2026-01-01T10:00:01Z"),
                attached("team-b", "east", "2026-01-01T10:00:00Z"),
            ],
            ("team-b", "east"),
        ),
        (
            [
                attached("team-b", "east", "2026-01-01T10:00:00Z"),
                attached("team-a", "east", "2026-01-01T10:00:00Z"),
            ],
            ("team-a", "east"),
        ),
        (
            [
                attached("team-b", "east", "2026-01-01T10:00:00Z", deleting=True),
                attached("team-a", "east", "2026-01-01T10:00:05Z"),
            ],
            ("team-a", "east"),
        ),
        ([attached("team-b", "east", "2026-01-01T10:00:00Z", deleting=True)], None),
        (
            [
                attached("team-a", "west", "2026-01-01T09:00:00Z"),
                attached("team-b", "east", "2026-01-01T10:00:00Z"),
            ],
            ("team-b", "east"),
        ),
    ],
    ids=[
        "none",
        "alone",
        "oldest-wins-over-namespace-order",
        "same-second-namespace-breaks-the-tie",
        "a-deleting-owner-hands-over",
        "only-deleting",
        "other-names-do-not-compete",
    ],
)
def test_the_owner_of_a_cluster_name(
    candidates: list[AttachedCluster], owner: tuple[str, str] | None
) -> None:
    assert name_owner(candidates, "east") == owner
    assert name_owner(list(reversed(candidates)), "east") == owner, "order of events is moot"


def test_the_conflict_condition_names_the_owner() -> None:
    condition = name_conflict_condition("east", ("team-b", "east"))
    assert (condition.type, condition.status, condition.reason) == (
        "Ready",
        "False",
        "ClusterNameConflict",
    )
    assert "team-b/east" in condition.message
