"""One HPA's sync period: read the target, the fleet's pods and metrics, evaluate, scale.

FederatedHPAs, and hub HorizontalPodAutoscalers that no PropagationPolicy selects (a
Navarch extension; an HPA a policy selects is propagated and scales on the members), take
the same path. The order of writes makes a restart safe: the history (with the step about
to be taken) is written to the HPA first, then the template's replicas, then the status; a
scaler killed between them finds the step counted and takes no extra one.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

from services.scaler.autoscaling import (
    ScalingDecision,
    ScalingHistory,
    evaluate,
    rescale_failed,
    rfc3339,
)
from services.scaler.conditions import ABLE_TO_SCALE, SCALING_ACTIVE, ConditionBook
from services.scaler.defaulting import default_spec
from services.scaler.fleet_reading import (
    ScalerMember,
    fleet_pod_metrics,
    member_pods,
    selector_text,
)
from services.scaler.history_keeping import HISTORY_ANNOTATION, history_text, parse_history
from services.scaler.models import (
    FederatedHPA,
    HorizontalPodAutoscaler,
    HorizontalPodAutoscalerStatus,
)
from services.scaler.observing import epoch, observations, pod_sample
from services.scaler.replica_calculating import CalculatorSettings
from services.scaler.settings import ScalerSettings
from services.scaler.targets import (
    ScaleTarget,
    ScaleTargetError,
    not_found,
    observe_scale,
    resolve_target,
    scaled,
    target_selector,
)
from shared.api.kinds import (
    ATTACHED_CLUSTERS,
    CLUSTER_PROPAGATION_POLICIES,
    FEDERATED_HPAS,
    HORIZONTAL_POD_AUTOSCALERS,
    KARMADA_CLUSTERS,
    PROPAGATION_POLICIES,
    RESOURCE_BINDINGS,
    SECRETS,
)
from shared.api.meta import ObjectMeta
from shared.api.propagation import ClusterPropagationPolicy, PropagationPolicy
from shared.api.resources import ResourceType
from shared.members.client import MemberClient, MemberError
from shared.members.kubeconfigs import kubeconfig_of_cluster
from shared.members.sessions import MemberSessions
from shared.placement.matching import select_policy
from shared.runtime.controllers import Controllers
from shared.runtime.informing import Informer
from shared.runtime.reconciling import Requeue
from shared.store.errors import NotFoundError
from shared.store.objects import Object

log = logging.getLogger(__name__)

Source = Literal["FederatedHPA", "HorizontalPodAutoscaler"]
HpaKey = tuple[Source, str, str]
SOURCES: dict[Source, ResourceType] = {
    "FederatedHPA": FEDERATED_HPAS,
    "HorizontalPodAutoscaler": HORIZONTAL_POD_AUTOSCALERS,
}


@dataclass(slots=True)
class ScalerCaches:
    hpas: dict[Source, Informer]
    bindings: Informer
    clusters: Informer
    attached: Informer
    secrets: Informer
    propagation_policies: Informer
    cluster_propagation_policies: Informer

    @classmethod
    def declare(cls, controllers: Controllers) -> "ScalerCaches":
        return cls(
            hpas={source: controllers.informer(resource) for source, resource in SOURCES.items()},
            bindings=controllers.informer(RESOURCE_BINDINGS),
            clusters=controllers.informer(KARMADA_CLUSTERS),
            attached=controllers.informer(ATTACHED_CLUSTERS),
            secrets=controllers.informer(SECRETS),
            propagation_policies=controllers.informer(PROPAGATION_POLICIES),
            cluster_propagation_policies=controllers.informer(CLUSTER_PROPAGATION_POLICIES),
        )


def propagated(hpa: Object, caches: ScalerCaches) -> bool:
    """Whether a (Cluster)PropagationPolicy selects this hub HPA: then the members scale."""
    policies: list[PropagationPolicy] = []
    for raw in caches.propagation_policies.list(namespace=hpa["metadata"].get("namespace")):
        try:
            policies.append(PropagationPolicy.model_validate(raw))
        except ValidationError as error:
            log.warning("skipping an invalid PropagationPolicy: %s", error)
    cluster_policies: list[ClusterPropagationPolicy] = []
    for raw in caches.cluster_propagation_policies.list():
        try:
            cluster_policies.append(ClusterPropagationPolicy.model_validate(raw))
        except ValidationError as error:
            log.warning("skipping an invalid ClusterPropagationPolicy: %s", error)
    chosen = select_policy(
        api_version=hpa.get("apiVersion", "autoscaling/v2"),
        kind="HorizontalPodAutoscaler",
        meta=ObjectMeta.model_validate(hpa["metadata"]),
        propagation_policies=policies,
        cluster_propagation_policies=cluster_policies,
    )
    return chosen is not None


def status_dict(status: HorizontalPodAutoscalerStatus) -> Object:
    return status.to_dict()


class HpaReconciler:
    """The `scaler` runner's reconcile, one key per HPA; it requeues itself every period."""

    def __init__(
        self,
        *,
        controllers: Controllers,
        caches: ScalerCaches,
        sessions: MemberSessions[ScalerMember],
        settings: ScalerSettings,
        now: Callable[[], float],
    ) -> None:
        self._controllers = controllers
        self._caches = caches
        self._sessions = sessions
        self._settings = settings
        self._now = now
        self._calculator = CalculatorSettings(
            tolerance=settings.tolerance,
            downscale_stabilization_window=settings.downscale_stabilization_s,
        )
        self._histories: dict[HpaKey, ScalingHistory] = {}

    async def reconcile(self, key: HpaKey) -> Requeue | None:
        source, namespace, name = key
        informer = self._caches.hpas[source]
        obj = self._controllers.fresh(informer, namespace, name)
        if obj is None or obj["metadata"].get("deletionTimestamp"):
            self._histories.pop(key, None)
            return None
        requeue = Requeue(after=self._settings.sync_period_s)
        if source == "HorizontalPodAutoscaler":
            created = epoch(obj["metadata"].get("creationTimestamp"))
            waited = self._now() - created if created is not None else None
            if waited is not None and waited < self._settings.hub_hpa_grace_s:
                return Requeue(after=self._settings.hub_hpa_grace_s - waited)
            if propagated(obj, self._caches):
                self._histories.pop(key, None)
                return requeue
        model_type = FederatedHPA if source == "FederatedHPA" else HorizontalPodAutoscaler
        try:
            hpa = model_type.model_validate(obj)
        except ValidationError as error:
            log.warning("cannot evaluate an invalid %s: %s", source, error, extra={"key": key})
            return None
        await self._evaluate(key, obj, hpa)
        return requeue

    def _history(self, key: HpaKey, obj: Object) -> ScalingHistory:
        if key not in self._histories:
            annotations = obj["metadata"].get("annotations") or {}
            self._histories[key] = parse_history(annotations.get(HISTORY_ANNOTATION))
        return self._histories[key]

    async def _evaluate(
        self, key: HpaKey, obj: Object, hpa: FederatedHPA | HorizontalPodAutoscaler
    ) -> None:
        source, namespace, _ = key
        resource = SOURCES[source]
        now = self._now()
        spec = default_spec(hpa.spec)
        try:
            target = resolve_target(spec.scale_target_ref)
            template = await self._template(target, namespace, spec.scale_target_ref.name)
        except ScaleTargetError as error:
            await self._write_status(resource, obj, _failed_get_scale(hpa.status, now, error))
            return
        selector = target_selector(template, target)
        if selector is None:
            await self._write_status(resource, obj, _missing_selector(hpa.status, now))
            return
        binding = self._caches.bindings.get(
            namespace, f"{spec.scale_target_ref.name}-{spec.scale_target_ref.kind.lower()}"
        )
        placed = [
            (str(item["name"]), int(item.get("replicas") or 0))
            for item in ((binding or {}).get("spec") or {}).get("clusters") or []
        ]
        clusters = [cluster for cluster, _ in placed]
        scale = observe_scale(template, target, member_replicas=[r for _, r in placed])
        text = selector_text(selector)
        answer, pods = await asyncio.gather(
            fleet_pod_metrics(
                self._controllers.context.bus,
                namespace=namespace,
                selector=text,
                clusters=clusters,
                timeout=self._settings.metrics_timeout_s,
            ),
            member_pods(await self._clients(clusters), namespace=namespace, selector=text),
        )
        samples = [pod_sample(cluster, pod) for cluster, items in pods.items() for pod in items]
        if not clusters:
            answer_items, answer_error = None, "no cluster runs the target"
        else:
            answer_items, answer_error = answer.items, answer.error
        history = self._history(key, obj)
        decision = evaluate(
            spec=spec,
            status=hpa.status,
            namespace=namespace,
            scale=scale,
            pods=samples,
            observations=observations(spec.metrics, pod_metrics=answer_items, error=answer_error),
            history=history,
            now=now,
            settings=self._calculator,
        )
        if decision.error:
            log.info("%s %s: %s", source, key[1:], decision.error)
        if decision.rescale:
            decision = await self._rescale(key, obj, decision, target=target, template=template)
        self._histories[key] = decision.history
        status = decision.status.model_copy(update={"observed_generation": _generation(obj)})
        await self._write_status(resource, obj, status)

    async def _template(self, target: ScaleTarget, namespace: str, name: str) -> Object:
        try:
            return await self._controllers.context.store.get(target.resource, namespace, name)
        except NotFoundError as error:
            raise not_found(target, name) from error

    async def _clients(self, clusters: list[str]) -> dict[str, MemberClient]:
        clients: dict[str, MemberClient] = {}
        for cluster in clusters:
            raw = self._caches.clusters.get(None, cluster)
            if raw is None:
                log.warning("binding names an unknown cluster", extra={"cluster": cluster})
                continue
            try:
                kubeconfig = kubeconfig_of_cluster(
                    raw, attached_clusters=self._caches.attached, secrets=self._caches.secrets
                )
                session, _ = await self._sessions.ensure(cluster, kubeconfig, ScalerMember)
            except MemberError as error:
                log.warning("cannot reach a member: %s", error, extra={"cluster": cluster})
                continue
            clients[cluster] = session.client
        return clients

    async def _rescale(
        self,
        key: HpaKey,
        obj: Object,
        decision: ScalingDecision,
        *,
        target: ScaleTarget,
        template: Object,
    ) -> ScalingDecision:
        """History first (the step counted), then the template's replicas."""
        resource = SOURCES[key[0]]
        await self._write_history(resource, obj, decision.history)
        try:
            await self._controllers.writer.change(
                target.resource,
                template,
                lambda current: scaled(current, target, decision.desired_replicas),
            )
        except Exception as error:
            log.warning("rescale failed: %s", error, extra={"key": key})
            failed = rescale_failed(decision, error=str(error))
            await self._write_history(resource, obj, failed.history)
            return failed
        log.info(
            "rescaled %s to %d: %s",
            decision.reference,
            decision.desired_replicas,
            decision.rescale_reason,
        )
        return decision

    async def _write_history(
        self, resource: ResourceType, obj: Object, history: ScalingHistory
    ) -> None:
        text = history_text(history)

        def change(current: Object) -> Object | None:
            annotations = dict(current["metadata"].get("annotations") or {})
            if annotations.get(HISTORY_ANNOTATION) == text:
                return None
            annotations[HISTORY_ANNOTATION] = text
            return {**current, "metadata": {**current["metadata"], "annotations": annotations}}

        written = await self._controllers.writer.change(resource, obj, change)
        if written is not None:
            obj["metadata"] = written["metadata"]

    async def _write_status(
        self, resource: ResourceType, obj: Object, status: HorizontalPodAutoscalerStatus
    ) -> None:
        wanted = status_dict(status)

        def change(current: Object) -> Object | None:
            if current.get("status") == wanted:
                return None
            return {**current, "status": wanted}

        await self._controllers.writer.change(resource, obj, change, status=True)


def _generation(obj: Object) -> int | None:
    generation = obj["metadata"].get("generation")
    return int(generation) if generation is not None else None


def _failed_get_scale(
    status: HorizontalPodAutoscalerStatus, now: float, error: ScaleTargetError
) -> HorizontalPodAutoscalerStatus:
    """`reconcileAutoscaler`'s FailedGetScale: AbleToScale False, nothing else changes."""
    book = ConditionBook(status.conditions, now_text=rfc3339(now))
    book.set(
        ABLE_TO_SCALE,
        "False",
        "FailedGetScale",
        f"the HPA controller was unable to get the target's current scale: {error}",
    )
    return status.model_copy(update={"conditions": book.to_models()})


def _missing_selector(
    status: HorizontalPodAutoscalerStatus, now: float
) -> HorizontalPodAutoscalerStatus:
    """A target without a selector: `InvalidSelector`, as the HPA controller reports it."""
    book = ConditionBook(status.conditions, now_text=rfc3339(now))
    book.set(
        SCALING_ACTIVE,
        "False",
        "InvalidSelector",
        "the HPA target's scale is missing a selector",
    )
    return status.model_copy(update={"conditions": book.to_models()})
