"""SimulatedFleet config: the seed fleet loads unchanged; bad input names the field."""

from pathlib import Path

import pytest

from shared.api.simulated_fleet import FleetConfigError, load_fleet_config, parse_fleet_config

SEED_FLEET = Path(__file__).resolve().parents[3] / "examples" / "seed-fleet.yaml"


def fleet(**cluster: object) -> dict:
    base = {"name": "c1", "nodes": [{"count": 1, "capacity": {"cpu": "4", "memory": "8Gi"}}]}
    return {
        "apiVersion": "navarch.dev/v1alpha1",
        "kind": "SimulatedFleet",
        "clusters": [{**base, **cluster}],
    }


def test_seed_fleet_loads_unchanged() -> None:
    config = load_fleet_config(SEED_FLEET)
    by_name = {cluster.name: cluster for cluster in config.clusters}
    assert len(by_name) == 11
    hangzhou = by_name["cluster-hangzhou"]
    assert (hangzhou.region, hangzhou.zone, hangzhou.provider) == (
        "asia-east",
        "asia-east-1a",
        "alibaba",
    )
    assert hangzhou.labels == {"env": "production"}
    assert hangzhou.nodes[0].count == 3
    assert hangzhou.nodes[0].capacity == {"cpu": "16", "memory": "64Gi", "pods": "110"}
    a100 = by_name["cluster-gpu-a100"].nodes[0]
    assert a100.capacity["nvidia.com/gpu"] == "8"
    assert a100.labels == {"nvidia.com/gpu.product": "a100"}
    taint = by_name["cluster-zone-a"].taints[0]
    assert (taint.key, taint.value, taint.effect) == ("dedicated", "special", "NoSchedule")
    assert by_name["cluster-zone-b"].taints == []


def test_defaults_and_durations() -> None:
    config = parse_fleet_config(fleet(podReadyDelay="250ms", podCompleteDelay=2))
    cluster = config.clusters[0]
    assert cluster.pod_ready_delay == 0.25
    assert cluster.pod_complete_delay == 2.0
    assert cluster.node_heartbeat_period == 10.0
    assert cluster.nodes[0].capacity["pods"] == "110"
    assert cluster.node_group_name(0) == "group0"


def test_numbers_in_capacity_become_quantity_strings() -> None:
    config = parse_fleet_config(fleet(nodes=[{"count": 2, "capacity": {"cpu": 8}}]))
    assert config.clusters[0].nodes[0].capacity["cpu"] == "8"


@pytest.mark.parametrize(
    ("cluster", "expected"),
    [
        (
            {"nodes": [{"count": 1, "capacity": {"cpu": "lots"}}]},
            "clusters[0].nodes[0].capacity.cpu: quantities must match",
        ),
        ({"nodes": [{"count": -1, "capacity": {}}]}, "clusters[0].nodes[0].count:"),
        ({"podReadyDelay": "soon"}, "clusters[0].podReadyDelay: invalid duration 'soon'"),
        ({"name": "Not_A_Label"}, "clusters[0].name: 'Not_A_Label' must be a DNS label"),
        ({"region2": "x"}, "clusters[0].region2: Extra inputs are not permitted"),
        (
            {"taints": [{"key": "k", "effect": "Sometimes"}]},
            "clusters[0].taints[0].effect:",
        ),
    ],
)
def test_bad_input_names_the_field(cluster: dict, expected: str) -> None:
    with pytest.raises(FleetConfigError) as error:
        parse_fleet_config(fleet(**cluster), source="fleet.yaml")
    assert f"fleet.yaml: {expected}" in str(error.value)


def test_wrong_kind_and_duplicate_names() -> None:
    document = fleet()
    document["kind"] = "Fleet"
    with pytest.raises(FleetConfigError, match="kind: Input should be 'SimulatedFleet'"):
        parse_fleet_config(document)
    document = fleet()
    document["clusters"].append(document["clusters"][0])
    with pytest.raises(FleetConfigError, match="cluster names must be unique: c1"):
        parse_fleet_config(document)


def test_unreadable_files_are_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("clusters: [\n")
    with pytest.raises(FleetConfigError, match=r"broken\.yaml: invalid YAML"):
        load_fleet_config(broken)
    with pytest.raises(FleetConfigError, match=r"missing\.yaml: cannot read"):
        load_fleet_config(tmp_path / "missing.yaml")


def test_pod_cap_defaults_and_names_the_field() -> None:
    assert parse_fleet_config(fleet()).clusters[0].max_pods == 5_000
    assert parse_fleet_config(fleet(maxPods=40)).clusters[0].max_pods == 40
    with pytest.raises(FleetConfigError, match=r"clusters\[0\]\.maxPods: .*greater than or equal"):
        parse_fleet_config(fleet(maxPods=0))
