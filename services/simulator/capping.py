"""The cluster's pod cap: controllers never create more pods than `maxPods` (issue 13).

A `replicas: 1000000000` Deployment must not make the simulator create a billion pods.
Like a ResourceQuota on `pods` over the whole cluster, a create beyond the cap is refused
and the workload reports it the way Kubernetes reports quota refusals (a ReplicaSet's
`ReplicaFailure` condition, reason `FailedCreate`). Pods of every owner count, created
or still in flight, so concurrent controllers cannot overshoot the cap together.
"""

from services.simulator.caching import SharedInformers
from services.simulator.resources import PODS

RETRY_AFTER_S = 2.0
"""How soon a capped workload tries again (pods elsewhere may have gone)."""


class PodCap:
    def __init__(self, limit: int, informers: SharedInformers) -> None:
        self.limit = limit
        self._informers = informers
        self._reserved = 0

    def used(self) -> int:
        return len(self._informers[PODS]) + self._reserved

    def reserve(self, wanted: int) -> int:
        """Reserve up to `wanted` creations; `release` them once the informer has them."""
        granted = max(0, min(wanted, self.limit - self.used()))
        self._reserved += granted
        return granted

    def release(self, granted: int) -> None:
        self._reserved -= granted

    def refusal(self, pod_name: str) -> str:
        """The create error, worded like an exceeded ResourceQuota on `pods`."""
        return (
            f'pods "{pod_name}" is forbidden: exceeded the simulated cluster\'s pod cap '
            f"(maxPods), requested: pods=1, used: pods={self.used()}, limited: pods={self.limit}"
        )
