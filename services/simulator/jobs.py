"""Job controller: run pods until `completions` succeed, at most `parallelism` at a time.

The kubelets' `pod-complete` stage finishes Job pods after a delay; this controller counts
them and marks the Job Complete with `completionTime`, like the batch/v1 controller.
Pods do not fail in the simulator unless a stage makes them; `backoffLimit` still applies.
"""

from services.simulator.caching import SharedInformers
from services.simulator.capping import RETRY_AFTER_S, PodCap
from services.simulator.pacing import Pacer
from services.simulator.resources import JOBS, PODS
from services.simulator.workloads import (
    OwnerLoop,
    create_pods,
    is_active,
    is_pod_ready,
    pod_from_template,
    write_status,
)
from services.simulator.writing import set_condition
from shared.runtime.reconciling import Requeue
from shared.store.objects import Object, ObjectStore, utc_timestamp


def _phase_count(pods: list[Object], phase: str) -> int:
    return sum(1 for pod in pods if (pod.get("status") or {}).get("phase") == phase)


def _finished(job: Object) -> bool:
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            return True
    return False


def job_pod(job: Object) -> Object:
    uid = job["metadata"]["uid"]
    name = job["metadata"]["name"]
    return pod_from_template(
        job["spec"].get("template") or {},
        owner=job,
        labels={
            "batch.kubernetes.io/controller-uid": uid,
            "batch.kubernetes.io/job-name": name,
            "controller-uid": uid,
            "job-name": name,
        },
    )


def job_status(job: Object, pods: list[Object], *, now: str) -> Object:
    spec = job["spec"]
    completions = int(spec.get("completions") or 1)
    succeeded = _phase_count(pods, "Succeeded")
    failed = _phase_count(pods, "Failed")
    active = [pod for pod in pods if is_active(pod)]
    previous = job.get("status") or {}
    status: Object = {
        "active": len(active),
        "succeeded": succeeded,
        "failed": failed,
        "ready": sum(1 for pod in active if is_pod_ready(pod)),
        "terminating": 0,
        "uncountedTerminatedPods": {},
        "startTime": previous.get("startTime") or now,
    }
    conditions = list(previous.get("conditions") or [])
    if succeeded >= completions and not active:
        for type_, reason, message in (
            (
                "SuccessCriteriaMet",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
            ),
            ("Complete", "CompletionsReached", "Reached expected number of succeeded pods"),
        ):
            conditions = set_condition(
                conditions,
                type_=type_,
                status="True",
                reason=reason,
                message=message,
                now=now,
                extra_times=("lastProbeTime",),
            )
        status["completionTime"] = previous.get("completionTime") or now
    elif failed > int(spec.get("backoffLimit", 6)):
        for type_ in ("FailureTarget", "Failed"):
            conditions = set_condition(
                conditions,
                type_=type_,
                status="True",
                reason="BackoffLimitExceeded",
                message="Job has reached the specified backoff limit",
                now=now,
                extra_times=("lastProbeTime",),
            )
    if conditions:
        status["conditions"] = conditions
    return status


class JobController:
    def __init__(
        self,
        store: ObjectStore,
        informers: SharedInformers,
        *,
        cluster: str,
        pacer: Pacer,
        cap: PodCap,
    ) -> None:
        self._store = store
        self._informers = informers
        self._pacer = pacer
        self._cap = cap
        self.loop = OwnerLoop(
            informers,
            name=f"sim/{cluster}/jobs",
            owner=JOBS,
            dependents=(PODS,),
            reconcile=self._reconcile,
            pacer=pacer,
        )

    async def _reconcile(self, job: Object) -> Requeue | None:
        pods = self._informers.owned(PODS, job)
        refused: str | None = None
        if not _finished(job) and not job["spec"].get("suspend"):
            completions = int(job["spec"].get("completions") or 1)
            parallelism = int(job["spec"].get("parallelism") or 1)
            succeeded = _phase_count(pods, "Succeeded")
            failed = _phase_count(pods, "Failed")
            active = sum(1 for pod in pods if is_active(pod))
            wanted = min(parallelism, completions - succeeded) - active
            if failed > int(job["spec"].get("backoffLimit", 6)):
                wanted = 0
            if wanted > 0:
                last, refused = await create_pods(
                    self._store,
                    self._informers,
                    bodies=(job_pod(job) for _ in range(wanted)),
                    count=wanted,
                    cap=self._cap,
                    pacer=self._pacer,
                )
                if last is not None:
                    pods = self._informers.owned(PODS, job)
        status = job_status(job, pods, now=utc_timestamp())
        await write_status(self._store, JOBS, job, status)
        return Requeue(after=RETRY_AFTER_S) if refused is not None else None

    def start(self) -> None:
        self.loop.start()

    async def stop(self) -> None:
        await self.loop.stop()
