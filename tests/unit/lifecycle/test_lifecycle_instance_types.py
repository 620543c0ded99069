"""The instance type table and the least-waste chooser (Cluster Autoscaler's waste expander)."""

import pytest

from shared.providers.instance_types import (
    INSTANCE_TYPES,
    InstanceType,
    UnknownInstanceTypeError,
    instance_type,
    least_waste,
    pack,
    scale_up_option,
)
from shared.quantity import parse_quantity


@pytest.mark.parametrize(
    ("name", "cpu", "memory", "pods", "gpus", "product"),
    [
        ("m5.large", "2", "8Gi", "29", None, None),
        ("m5.xlarge", "4", "16Gi", "58", None, None),
        ("t3.large", "2", "8Gi", "35", None, None),
        ("c5.2xlarge", "8", "16Gi", "58", None, None),
        ("p3.2xlarge", "8", "61Gi", "58", "1", "v100"),
        ("g4dn.xlarge", "4", "16Gi", "29", "1", "t4"),
        ("p4d.24xlarge", "96", "1152Gi", "737", "8", "a100"),
    ],
)
def test_published_capacities(
    name: str, cpu: str, memory: str, pods: str, gpus: str | None, product: str | None
) -> None:
    found = instance_type(name)
    capacity = found.capacity()
    assert (capacity["cpu"], capacity["memory"], capacity["pods"]) == (cpu, memory, pods)
    assert capacity.get("nvidia.com/gpu") == gpus
    assert found.labels().get("nvidia.com/gpu.product") == product
    assert found.labels()["node.kubernetes.io/instance-type"] == name


def test_every_capacity_is_a_valid_quantity() -> None:
    for item in INSTANCE_TYPES.values():
        assert all(parse_quantity(value) > 0 for value in item.capacity().values())


def test_unknown_type_is_named() -> None:
    with pytest.raises(UnknownInstanceTypeError, match=r'unknown instance type "m9\.huge"'):
        least_waste([{"cpu": "1"}], allowed=["m5.large", "m9.huge"])


# Ported from cluster-autoscaler/expander/waste/waste_test.go TestLeastWaste: a pod of 500m
# and 1000Mi; "balanced" nodes of 16 such pods, "highmem" with twice the memory, "lowcpu"
# with half the CPU.
_POD = {"cpu": "500m", "memory": str(1000 * 1024 * 1024)}
_CATALOGUE = {
    "balanced": InstanceType(name="balanced", cpu=8, memory_gib=16, pods=100),
    "highmem": InstanceType(name="highmem", cpu=8, memory_gib=32, pods=100),
    "lowcpu": InstanceType(name="lowcpu", cpu=4, memory_gib=16, pods=100),
}


@pytest.mark.parametrize(
    ("allowed", "chosen"),
    [
        (["balanced"], "balanced"),
        (["balanced", "highmem"], "balanced"),
        (["highmem", "balanced"], "balanced"),
        (["balanced", "highmem", "lowcpu"], "lowcpu"),
    ],
)
def test_least_waste_as_cluster_autoscaler(allowed: list[str], chosen: str) -> None:
    option = least_waste([_POD], allowed=allowed, catalogue=_CATALOGUE)
    assert option is not None and option.instance_type == chosen


def test_waste_fractions() -> None:
    option = scale_up_option([_POD], _CATALOGUE["lowcpu"])
    assert option is not None
    assert option.node_count == 1
    assert option.wasted_cpu == pytest.approx(1 - 0.5 / 4)
    assert option.wasted_memory == pytest.approx(1 - 1000 / (16 * 1024))


def test_a_tie_keeps_the_first_allowed_type() -> None:
    twin = {**_CATALOGUE, "twin": InstanceType(name="twin", cpu=8, memory_gib=16, pods=100)}
    option = least_waste([_POD], allowed=["twin", "balanced"], catalogue=twin)
    assert option is not None and option.instance_type == "twin"


def test_real_types_for_real_pods() -> None:
    # 6 CPU and 12 GiB: m5.large x3 wastes 0 + 0.5, c5.2xlarge x1 0.25 + 0.25 (a tie),
    # m5.xlarge x2 0.25 + 0.625, r5.large x3 0 + 0.75.
    web = [{"cpu": "1", "memory": "2Gi"}] * 6
    option = least_waste(web, allowed=["m5.xlarge", "m5.large", "c5.2xlarge", "r5.large"])
    assert option is not None
    assert (option.instance_type, option.node_count) == ("m5.large", 3)
    option = least_waste(web, allowed=["r5.large", "c5.2xlarge", "m5.large"])
    assert option is not None
    assert (option.instance_type, option.node_count) == ("c5.2xlarge", 1)
    gpu = [{"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "1"}]
    option = least_waste(gpu, allowed=["m5.xlarge", "p3.2xlarge", "g4dn.xlarge"])
    assert option is not None and option.instance_type == "g4dn.xlarge"


def test_pods_that_fit_no_node_are_left_out() -> None:
    pods = [{"cpu": "1", "memory": "1Gi"}, {"cpu": "3", "memory": "1Gi"}]
    option = scale_up_option(pods, instance_type("m5.large"))
    assert option is not None and option.pods == [0]
    assert scale_up_option([{"cpu": "64"}], instance_type("m5.large")) is None
    assert least_waste([{"nvidia.com/gpu": "1"}], allowed=["m5.large"]) is None


def test_first_fit_decreasing_packing() -> None:
    capacity = {"cpu": 4000, "memory": 16, "pods": 3}
    assert pack([{"cpu": 3000}, {"cpu": 1000}, {"cpu": 3000}, {"cpu": 1000}], capacity) == 2
    assert pack([{"cpu": 100}] * 7, capacity) == 3
    assert pack([], capacity) == 0
