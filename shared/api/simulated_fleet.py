"""The `navarch.dev/v1alpha1` SimulatedFleet: which member clusters to simulate, and how.

A fleet file is user input (demos, try-outs, load tests), so mistakes are reported with the
path of the offending field (`clusters[2].nodes[0].capacity.cpu: ...`) rather than a trace.
Cluster-level `taints` are the Karmada Cluster's taints (for the hub's Cluster object);
node taints belong to a node group.
"""

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from shared.api.base import KubeModel
from shared.api.meta import Taint
from shared.api.validation import format_location
from shared.quantity import QuantityError, parse_quantity

API_VERSION = "navarch.dev/v1alpha1"
KIND = "SimulatedFleet"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class FleetConfigError(ValueError):
    """A fleet file that cannot be used; the message names the file and the field."""


def parse_duration(value: Any) -> float:
    """Seconds from a number or a Go-style duration (`500ms`, `2s`, `1m`)."""
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 500ms or 2s")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value).strip())
        if match is None:
            raise ValueError(f"invalid duration {value!r}: use e.g. 500ms, 2s, 1m")
        seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if seconds < 0:
        raise ValueError("must not be negative")
    return seconds


def _check_quantity(text: str) -> str:
    try:
        parse_quantity(text)
    except QuantityError as error:
        raise ValueError(str(error)) from None
    return text


def _quantity_string(value: Any) -> Any:
    """YAML reads `cpu: 16` as a number; quantities are strings on the wire."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _check_dns_label(name: str) -> str:
    if len(name) > 63 or not _DNS_LABEL.match(name):
        raise ValueError(f"{name!r} must be a DNS label (lowercase letters, digits, '-')")
    return name


Duration = Annotated[float, BeforeValidator(parse_duration)]
Quantity = Annotated[str, BeforeValidator(_quantity_string), AfterValidator(_check_quantity)]
ResourceList = dict[str, Quantity]
DnsLabel = Annotated[str, AfterValidator(_check_dns_label)]


class _ConfigModel(KubeModel):
    """Config is closed: a misspelt field is an error, not silently kept."""

    model_config = ConfigDict(extra="forbid")


class NodeGroup(_ConfigModel):
    """`count` identical nodes; names are `<cluster>-<group>-<n>`."""

    name: DnsLabel | None = None
    count: int = Field(ge=0)
    capacity: ResourceList
    allocatable: ResourceList | None = None
    """Defaults to capacity (the simulator reserves nothing for system daemons)."""
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _pods_capacity(self) -> "NodeGroup":
        self.capacity.setdefault("pods", "110")
        return self


class ClusterConfig(_ConfigModel):
    name: DnsLabel
    region: str = ""
    zone: str = ""
    provider: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)
    nodes: list[NodeGroup] = Field(default_factory=list)
    kubernetes_version: str = "v1.30.2"
    pod_ready_delay: Duration = 0.5
    """Bound pod → Running and Ready; per pod `sim.navarch.dev/pod-ready-delay`."""
    pod_complete_delay: Duration = 1.0
    """Running Job pod → Succeeded; per pod `sim.navarch.dev/pod-complete-delay`."""
    node_heartbeat_period: Duration = 10.0
    default_load: float = Field(default=0.5, ge=0)
    """Synthetic usage as a fraction of requests when a workload names no load."""
    event_history: int = Field(default=2_000, ge=100)
    """Watch events kept for resuming watches; older resourceVersions get 410 Gone."""
    max_pods: int = Field(default=5_000, ge=1)
    """Pods the cluster's controllers create at most; beyond it a workload reports FailedCreate."""

    def node_group_name(self, index: int) -> str:
        return self.nodes[index].name or f"group{index}"

    @model_validator(mode="after")
    def _unique_groups(self) -> "ClusterConfig":
        names = [self.node_group_name(index) for index in range(len(self.nodes))]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"node group names must be unique: {', '.join(duplicates)}")
        return self


class FleetConfig(_ConfigModel):
    api_version: Literal["navarch.dev/v1alpha1"]
    kind: Literal["SimulatedFleet"]
    metadata: dict[str, Any] = Field(default_factory=dict)
    clusters: list[ClusterConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_clusters(self) -> "FleetConfig":
        names = [cluster.name for cluster in self.clusters]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"cluster names must be unique: {', '.join(duplicates)}")
        return self


def _describe(error: ValidationError, source: str) -> str:
    lines = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{source}: {format_location(tuple(item['loc'])) or '(document)'}: {message}")
    return "\n".join(lines)


def parse_fleet_config(document: Any, *, source: str = "fleet config") -> FleetConfig:
    """Validate a decoded document; FleetConfigError names `source` and each bad field."""
    if not isinstance(document, dict):
        raise FleetConfigError(f"{source}: expected a SimulatedFleet mapping")
    try:
        return FleetConfig.model_validate(document)
    except ValidationError as error:
        raise FleetConfigError(_describe(error, source)) from None


def load_fleet_config(path: Path | str) -> FleetConfig:
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text())
    except OSError as error:
        raise FleetConfigError(f"{path}: cannot read: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise FleetConfigError(f"{path}: invalid YAML: {error}") from None
    return parse_fleet_config(document, source=str(path))
