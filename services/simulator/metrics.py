"""Synthetic `metrics.k8s.io/v1beta1` usage: each pod uses its requests times a load factor.

The load is set per workload, so autoscalers can be driven: the annotation
`sim.navarch.dev/load` (e.g. `"0.9"`) on the pod or any owner up its controller chain
(Deployment → ReplicaSet → Pod), or `LoadModel.set` (the REST layer's hook), or the
cluster's default. Everything here except LoadModel's table is a pure function.
"""

from collections.abc import Callable, Mapping
from decimal import ROUND_CEILING, Decimal

from services.simulator.writing import controller_of
from shared.quantity import format_quantity, parse_quantity
from shared.store.objects import Object, utc_timestamp

API_VERSION = "metrics.k8s.io/v1beta1"
LOAD_ANNOTATION = "sim.navarch.dev/load"
WINDOW = "15s"
IDLE_CPU = Decimal("0.001")
IDLE_MEMORY = Decimal(8 * 1024 * 1024)
NODE_OVERHEAD = {"cpu": Decimal("0.05"), "memory": Decimal(256 * 1024 * 1024)}
OwnerKey = tuple[str, str, str]
"""(namespace, kind, name)"""


def _annotated_load(obj: Object) -> float | None:
    text = (obj["metadata"].get("annotations") or {}).get(LOAD_ANNOTATION)
    if text is None:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        return None


class LoadModel:
    """Per-workload load factors set through the API (annotations need no call)."""

    def __init__(self, *, default: float) -> None:
        self.default = default
        self._overrides: dict[OwnerKey, float] = {}

    def set(self, namespace: str, kind: str, name: str, load: float | None) -> None:
        if load is None:
            self._overrides.pop((namespace, kind, name), None)
        else:
            self._overrides[(namespace, kind, name)] = max(0.0, load)

    def load_of(self, pod: Object, owners: Mapping[OwnerKey, Object]) -> float:
        """The first load found walking up from the pod through its controllers."""
        namespace = pod["metadata"].get("namespace", "")
        current: Object | None = pod
        seen = 0
        while current is not None and seen < 8:
            key = (namespace, current.get("kind", "Pod"), current["metadata"]["name"])
            if key in self._overrides:
                return self._overrides[key]
            annotated = _annotated_load(current)
            if annotated is not None:
                return annotated
            reference = controller_of(current)
            current = (
                owners.get((namespace, reference["kind"], reference["name"])) if reference else None
            )
            seen += 1
        return self.default


def _request(container: Object, name: str) -> Decimal | None:
    resources = container.get("resources") or {}
    text = (resources.get("requests") or {}).get(name) or (resources.get("limits") or {}).get(name)
    return parse_quantity(str(text)) if text is not None else None


def container_usage(container: Object, load: float) -> dict[str, Decimal]:
    """Usage of one container: its requests times load, or an idle baseline without requests."""
    factor = Decimal(str(load))
    cpu = _request(container, "cpu")
    memory = _request(container, "memory")
    return {
        "cpu": cpu * factor if cpu is not None else IDLE_CPU,
        "memory": memory * factor if memory is not None else IDLE_MEMORY,
    }


def render_usage(usage: Mapping[str, Decimal]) -> dict[str, str]:
    """metrics-server's rendering: CPU in whole nanocores, memory in whole KiB."""
    nanocores = (usage["cpu"] * Decimal(10**9)).to_integral_value(rounding=ROUND_CEILING)
    kib = (usage["memory"] / 1024).to_integral_value(rounding=ROUND_CEILING)
    return {
        "cpu": f"{int(nanocores)}n",
        "memory": format_quantity(kib * 1024, fmt="BinarySI") if kib else "0",
    }


def pod_usage(pod: Object, load: float) -> dict[str, Decimal]:
    total = {"cpu": Decimal(0), "memory": Decimal(0)}
    for container in pod["spec"].get("containers") or []:
        for name, value in container_usage(container, load).items():
            total[name] += value
    return total


def pod_metrics(pod: Object, *, load: float, timestamp: str | None = None) -> Object:
    metadata = pod["metadata"]
    return {
        "kind": "PodMetrics",
        "apiVersion": API_VERSION,
        "metadata": {
            "name": metadata["name"],
            "namespace": metadata.get("namespace", ""),
            "labels": dict(metadata.get("labels") or {}),
            "creationTimestamp": timestamp or utc_timestamp(),
        },
        "timestamp": timestamp or utc_timestamp(),
        "window": WINDOW,
        "containers": [
            {"name": container["name"], "usage": render_usage(container_usage(container, load))}
            for container in pod["spec"].get("containers") or []
        ],
    }


def node_metrics(
    nodes: list[Object],
    pods: list[Object],
    *,
    load_of: Callable[[Object], float],
    timestamp: str | None = None,
) -> list[Object]:
    """One NodeMetrics per node: its bound running pods' usage plus system overhead."""
    usage = {node["metadata"]["name"]: dict(NODE_OVERHEAD) for node in nodes}
    for pod in pods:
        node = pod["spec"].get("nodeName")
        if node in usage and (pod.get("status") or {}).get("phase") == "Running":
            for name, value in pod_usage(pod, load_of(pod)).items():
                usage[node][name] += value
    now = timestamp or utc_timestamp()
    return [
        {
            "kind": "NodeMetrics",
            "apiVersion": API_VERSION,
            "metadata": {
                "name": node["metadata"]["name"],
                "labels": dict(node["metadata"].get("labels") or {}),
                "creationTimestamp": now,
            },
            "timestamp": now,
            "window": WINDOW,
            "usage": render_usage(usage[node["metadata"]["name"]]),
        }
        for node in nodes
    ]
