"""The telemetry service: the fleet's metrics, answered from the members.

Built on the controller kit: informers on the hub's Clusters, AttachedClusters, Secrets,
Fleets, ResourceBindings and workload templates, one reconciler keeping a member session
per Cluster (kubeconfig through Cluster → AttachedCluster → Secret). It answers the
gateway's forwarded aggregated-API requests on `navarch.telemetry.query` (queue group
`telemetry`, one owned task per request so a slow answer never holds the next), and serves
the fleet metrics endpoint `/metrics/fleet` on its HTTP port from a periodic collection.
"""

import asyncio
import logging
import time
from collections.abc import Iterable

import orjson
from aiohttp import web
from nats.aio.msg import Msg
from pydantic import ValidationError

from services.telemetry.answering import Answerer
from services.telemetry.collecting import Clock, FleetCollection
from services.telemetry.exposition import fleet_families, render
from services.telemetry.facts import binding_facts, cluster_facts, member_states, placement_of
from services.telemetry.selecting import NOT_READY, MemberState, Placement
from services.telemetry.settings import TelemetrySettings
from shared import relaying, subjects
from shared.api.aggregated import AggregatedRequest, AggregatedResponse
from shared.api.kinds import ATTACHED_CLUSTERS, FLEETS, KARMADA_CLUSTERS, SECRETS
from shared.api.resources import ResourceType
from shared.kubeapi import statuses
from shared.kubeapi.registry import hub_registry
from shared.members.client import MemberClient, MemberError
from shared.members.kubeconfigs import attached_reference, kubeconfig_of_cluster
from shared.members.sessions import MemberSessions
from shared.runtime.clock import WallClock, utc_now
from shared.runtime.controllers import Controllers, ControllerService
from shared.runtime.informing import Informer, InformerEvent
from shared.runtime.reconciling import Requeue

log = logging.getLogger(__name__)

FLEET_METRICS_PATH = "/metrics/fleet"
QUEUE_GROUP = "telemetry"
STARTING = "telemetry is starting: its caches are not synced yet"


def _hub_resource(api_version: str, kind: str) -> ResourceType:
    found = hub_registry().by_kind(api_version, kind)
    if found is None:
        raise LookupError(f"the hub registry has no {kind} in {api_version}")
    return found.resource


RESOURCE_BINDINGS = _hub_resource("work.karmada.io/v1alpha2", "ResourceBinding")
TEMPLATE_KINDS: dict[str, ResourceType] = {
    "Deployment": _hub_resource("apps/v1", "Deployment"),
    "StatefulSet": _hub_resource("apps/v1", "StatefulSet"),
    "DaemonSet": _hub_resource("apps/v1", "DaemonSet"),
    "Job": _hub_resource("batch/v1", "Job"),
    "CronJob": _hub_resource("batch/v1", "CronJob"),
}
"""Hub templates whose pod labels narrow which members a pod query asks."""


class MemberLink:
    """Telemetry's session with one member: only its client (it keeps no member watches)."""

    def __init__(self, client: MemberClient) -> None:
        self.client = client

    def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self.client.close()


class Telemetry(ControllerService):
    name = "telemetry"

    def __init__(
        self,
        settings: TelemetrySettings | None = None,
        *,
        clock: WallClock = utc_now,
        epoch: Clock = time.time,
    ) -> None:
        super().__init__(clock=clock)
        self.settings = settings or TelemetrySettings()
        self.sessions: MemberSessions[MemberLink] = MemberSessions(
            request_timeout_s=self.settings.request_timeout_s
        )
        self.connect_errors: dict[str, str] = {}
        self.answerer = Answerer(self, member_timeout_s=self.settings.member_timeout_s)
        self.collection = FleetCollection(timeout=self.settings.collect_timeout_s, clock=epoch)

    @property
    def kit(self) -> Controllers:
        assert self.controllers is not None, "service not started"
        return self.controllers

    async def declare(self, controllers: Controllers) -> None:
        context = controllers.context
        self.clusters = controllers.informer(KARMADA_CLUSTERS)
        self.attached = controllers.informer(ATTACHED_CLUSTERS)
        self.secrets = controllers.informer(SECRETS)
        self.fleets = controllers.informer(FLEETS)
        self.bindings = controllers.informer(RESOURCE_BINDINGS)
        self.templates: dict[str, Informer] = {
            kind: controllers.informer(resource) for kind, resource in TEMPLATE_KINDS.items()
        }
        members = controllers.reconciler(
            "members", self.reconcile_member, workers=4, max_backoff=10.0
        )
        controllers.wake(self.clusters, members, lambda event: (event.key[1],))
        controllers.wake(self.attached, members, self._clusters_of_attached)
        controllers.wake(self.secrets, members, self._every_cluster)
        await context.bus.subscribe(subjects.TELEMETRY_QUERY, self._on_query, queue=QUEUE_GROUP)
        context.tasks.start(self._collect_forever(), name="collect")

    async def stop(self) -> None:
        await super().stop()
        await self.sessions.end_all()

    def http_routes(self) -> list[web.RouteDef]:
        return [web.get(FLEET_METRICS_PATH, self._fleet_metrics)]

    def _clusters_of_attached(self, event: InformerEvent) -> Iterable[str]:
        return [
            cluster["metadata"]["name"]
            for cluster in self.clusters.list()
            if attached_reference(cluster) == event.key
        ]

    def _every_cluster(self, _event: InformerEvent) -> Iterable[str]:
        return [name for _, name in self.clusters.keys()]

    async def reconcile_member(self, name: str) -> Requeue | None:
        """Keep a session for every Cluster that names a usable kubeconfig, none otherwise."""
        cluster = self.clusters.get(None, name)
        if cluster is None or cluster["metadata"].get("deletionTimestamp"):
            self.connect_errors.pop(name, None)
            await self.sessions.end(name)
            self.collection.forget(name)
            return None
        try:
            kubeconfig = kubeconfig_of_cluster(
                cluster, attached_clusters=self.attached, secrets=self.secrets
            )
            link, rebuilt = await self.sessions.ensure(name, kubeconfig, MemberLink)
        except MemberError as error:
            log.warning("member unusable", extra={"cluster": name, "reason": error.message})
            self.connect_errors[name] = error.message
            await self.sessions.end(name)
            return None
        self.connect_errors.pop(name, None)
        if rebuilt:
            await self.collection.collect_member(name, link.client)
        return None

    def members(self) -> list[MemberState]:
        return member_states(
            self.clusters.list(), connected=set(self.sessions), connect_errors=self.connect_errors
        )

    def placements(self) -> list[Placement]:
        placements = []
        for binding in self.bindings.list():
            resource = (binding.get("spec") or {}).get("resource") or {}
            templates = self.templates.get(resource.get("kind", ""))
            template = (
                templates.get(resource.get("namespace"), resource.get("name", ""))
                if templates is not None
                else None
            )
            placement = placement_of(binding, template)
            if placement is not None:
                placements.append(placement)
        return placements

    def client(self, cluster: str) -> MemberClient | None:
        link = self.sessions.get(cluster)
        return link.client if link is not None else None

    async def _on_query(self, msg: Msg) -> None:
        """Each request in its own task: the subscription delivers the next one at once."""
        self.kit.context.tasks.start(self._answer(msg), name="query")

    async def _answer(self, msg: Msg) -> None:
        bus = self.kit.context.bus
        try:
            request = AggregatedRequest.model_validate_json(msg.data)
        except ValidationError as error:
            failure = statuses.bad_request(f"not an aggregated request: {error}")
            await relaying.answer(bus, msg, AggregatedResponse(status=400), _status(failure))
            return
        if not self.kit.started:
            failure = statuses.unavailable(STARTING)
            await relaying.answer(bus, msg, AggregatedResponse(status=503), _status(failure))
            return
        try:
            response, body = await self.answerer.answer(request)
        except Exception as error:
            log.exception("aggregated request failed", extra={"path": request.path})
            failure = statuses.internal(str(error))
            await relaying.answer(bus, msg, AggregatedResponse(status=500), _status(failure))
            return
        await relaying.answer(bus, msg, response, body)

    def _reachable(self) -> tuple[dict[str, MemberClient], dict[str, str]]:
        reachable: dict[str, MemberClient] = {}
        left_out: dict[str, str] = {}
        for member in self.members():
            client = self.client(member.name)
            if not member.ready:
                left_out[member.name] = NOT_READY
            elif client is None:
                left_out[member.name] = member.connect_error or "no connection"
            else:
                reachable[member.name] = client
        return reachable, left_out

    async def _collect_forever(self) -> None:
        """Collect every period once the caches are synced; one member never delays it."""
        for informer in (self.clusters, self.attached, self.secrets):
            await informer.wait_synced()
        while True:
            reachable, left_out = self._reachable()
            await self.collection.collect(reachable, left_out=left_out)
            await asyncio.sleep(self.settings.collect_period_s)

    async def _fleet_metrics(self, request: web.Request) -> web.Response:
        if self.controllers is None or not self.controllers.started:
            return web.Response(status=503, text=STARTING)
        clusters = cluster_facts(self.clusters.list(), self.fleets.list())
        bindings = binding_facts(self.bindings.list())
        samples = self.collection.samples
        accept = request.headers.get("Accept", "")

        def rendered() -> tuple[bytes, str]:
            families = fleet_families(clusters=clusters, samples=samples, bindings=bindings)
            return render(families, accept=accept)

        # Rendering a big fleet takes a while: off the loop, so health probes still answer.
        body, content_type = await asyncio.to_thread(rendered)
        return web.Response(body=body, headers={"Content-Type": content_type})


def _status(error: statuses.ApiError) -> bytes:
    return orjson.dumps(error.status())
