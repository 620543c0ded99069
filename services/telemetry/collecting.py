"""The fleet endpoint's figures: every period, each member's nodes, node and pod metrics and
Deployments, collected in parallel with a deadline per member.

A scrape of `/metrics/fleet` renders the latest collection and never waits for a member
(kube-state-metrics answers from its caches the same way); a member that fails keeps its
health series and reports `navarch_cluster_scrape_success 0`.
"""

import asyncio
import logging
import time
from collections.abc import Callable

from services.telemetry.samples import (
    ClusterSample,
    deployment_samples,
    integrate,
    node_samples,
    pod_samples,
)
from shared.members.client import MemberClient, MemberError

log = logging.getLogger(__name__)

NODES_PATH = "/api/v1/nodes"
NODE_METRICS_PATH = "/apis/metrics.k8s.io/v1beta1/nodes"
POD_METRICS_PATH = "/apis/metrics.k8s.io/v1beta1/pods"
DEPLOYMENTS_PATH = "/apis/apps/v1/deployments"

Clock = Callable[[], float]
"""Seconds since the epoch (the counters integrate over it)."""


async def sample_member(
    cluster: str, client: MemberClient, *, timeout: float, clock: Clock = time.time
) -> ClusterSample:
    """One member's sample; a member that fails or is slow gives a sample with `error`."""
    taken_at = clock()
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            # One after the other: one connection per member, as the fleet grows.
            nodes = await client.request("GET", NODES_PATH)
            node_metrics = await client.request("GET", NODE_METRICS_PATH)
            pod_metrics = await client.request("GET", POD_METRICS_PATH)
            deployments = await client.request("GET", DEPLOYMENTS_PATH)
    except TimeoutError:
        return ClusterSample(
            cluster=cluster,
            taken_at=taken_at,
            duration_s=time.perf_counter() - started,
            error=f"no answer within {timeout:g}s",
        )
    except MemberError as error:
        return ClusterSample(
            cluster=cluster,
            taken_at=taken_at,
            duration_s=time.perf_counter() - started,
            error=error.message,
        )
    return ClusterSample(
        cluster=cluster,
        taken_at=taken_at,
        duration_s=time.perf_counter() - started,
        nodes=node_samples(nodes.get("items") or [], node_metrics.get("items") or []),
        pods=pod_samples(pod_metrics.get("items") or []),
        deployments=deployment_samples(deployments.get("items") or []),
    )


class FleetCollection:
    """The latest sample of every member, the counters carried between samples."""

    def __init__(self, *, timeout: float, clock: Clock = time.time) -> None:
        self._timeout = timeout
        self._clock = clock
        self.samples: dict[str, ClusterSample] = {}
        self._last_good: dict[str, ClusterSample] = {}
        self.collections = 0

    async def collect(
        self, reachable: dict[str, MemberClient], *, left_out: dict[str, str]
    ) -> None:
        """Sample every reachable member at once; those left out keep only their reason."""
        fresh = await asyncio.gather(
            *(
                sample_member(cluster, client, timeout=self._timeout, clock=self._clock)
                for cluster, client in reachable.items()
            )
        )
        samples: dict[str, ClusterSample] = {}
        for sample in fresh:
            if sample.success:
                integrate(self._last_good.get(sample.cluster), sample)
                self._last_good[sample.cluster] = sample
            else:
                log.warning(
                    "member not collected",
                    extra={"cluster": sample.cluster, "reason": sample.error},
                )
            samples[sample.cluster] = sample
        for cluster, reason in left_out.items():
            samples[cluster] = ClusterSample(cluster=cluster, taken_at=self._clock(), error=reason)
        self.samples = samples
        self._last_good = {c: s for c, s in self._last_good.items() if c in samples}
        self.collections += 1

    async def collect_member(self, cluster: str, client: MemberClient) -> None:
        """Sample one member now (a member just connected need not wait for the period)."""
        sample = await sample_member(cluster, client, timeout=self._timeout, clock=self._clock)
        if sample.success:
            integrate(self._last_good.get(cluster), sample)
            self._last_good[cluster] = sample
        self.samples = {**self.samples, cluster: sample}

    def forget(self, cluster: str) -> None:
        """A member that left the fleet leaves the endpoint."""
        self.samples = {c: s for c, s in self.samples.items() if c != cluster}
        self._last_good.pop(cluster, None)
