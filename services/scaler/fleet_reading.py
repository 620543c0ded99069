"""Reading the fleet for one HPA: pod metrics from telemetry, pods from the members.

Metrics are asked for as the gateway asks (`navarch.telemetry.query`, chunked replies), with
the target's selector narrowed to the clusters the binding places it on; pods are listed on
those same members through the member sessions. A member that cannot be read is left out
(its pods count as missing, which the calculator treats conservatively) and logged.
"""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import orjson

from shared import subjects
from shared.api.aggregated import CLUSTER_LABEL, AggregatedRequest
from shared.api.meta import LabelSelector
from shared.bus import Bus
from shared.members.client import MemberClient, MemberError, resource_path
from shared.relaying import NoResponders, RelayError, ask

log = logging.getLogger(__name__)

Object = dict[str, Any]
SCALER_USER = "system:serviceaccount:navarch:scaler"


class ScalerMember:
    """A member session: just the client, for the pod lists of each evaluation."""

    def __init__(self, client: MemberClient) -> None:
        self.client = client

    def start(self) -> None:
        """Nothing runs in the background: pods are listed per evaluation."""

    async def stop(self) -> None:
        await self.client.close()


def selector_text(selector: LabelSelector) -> str:
    """A label selector in the `labelSelector=` query form."""
    terms = [f"{key}={selector.match_labels[key]}" for key in sorted(selector.match_labels)]
    for requirement in selector.match_expressions:
        values = ",".join(requirement.values)
        terms.append(
            {
                "In": f"{requirement.key} in ({values})",
                "NotIn": f"{requirement.key} notin ({values})",
                "Exists": requirement.key,
                "DoesNotExist": f"!{requirement.key}",
            }[requirement.operator]
        )
    return ",".join(terms)


@dataclass(frozen=True, slots=True)
class PodMetricsAnswer:
    """Telemetry's PodMetrics items, or the error the metrics API gave."""

    items: list[Object] | None
    error: str | None


async def fleet_pod_metrics(
    bus: Bus, *, namespace: str, selector: str, clusters: list[str], timeout: float
) -> PodMetricsAnswer:
    """`metrics.k8s.io` PodMetrics of the selected pods on `clusters`, fleet-wide."""
    placed = f"{CLUSTER_LABEL} in ({','.join(sorted(clusters))})"
    request = AggregatedRequest(
        path=f"/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods",
        query=[("labelSelector", ",".join(part for part in (selector, placed) if part))],
        user=SCALER_USER,
    )
    try:
        head, body = await ask(bus, subjects.TELEMETRY_QUERY, request, timeout=timeout)
    except NoResponders:
        return PodMetricsAnswer(None, "the server is currently unable to handle the request")
    except (TimeoutError, RelayError) as error:
        return PodMetricsAnswer(None, f"the metrics API did not answer: {error!r}")
    document = orjson.loads(body) if body else {}
    if head.status != 200:
        return PodMetricsAnswer(None, str(document.get("message") or f"status {head.status}"))
    return PodMetricsAnswer(list(document.get("items") or []), None)


async def member_pods(
    clients: dict[str, MemberClient], *, namespace: str, selector: str
) -> dict[str, list[Object]]:
    """The selected pods per cluster; clusters that fail are logged and left out."""
    path = resource_path(group="", version="v1", plural="pods", namespace=namespace)
    query = [("labelSelector", selector)] if selector else []

    async def listed(cluster: str, client: MemberClient) -> tuple[str, list[Object] | None]:
        try:
            listing = await client.request("GET", path, query=query)
        except MemberError as error:
            log.warning("cannot list pods on a member: %s", error, extra={"cluster": cluster})
            return cluster, None
        return cluster, list(listing.get("items") or [])

    results = await asyncio.gather(*(listed(name, client) for name, client in clients.items()))
    return {cluster: pods for cluster, pods in results if pods is not None}
