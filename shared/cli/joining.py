"""What `navarch join` writes and how it reads the answer: pure functions, no I/O.

Like `karmadactl join`: the member's kubeconfig (flattened to one context) goes into a
Secret, an AttachedCluster names it with the labels and taints asked for, and a Fleet
lists the cluster. The fleet-manager then connects; the AttachedCluster's Ready condition
says whether it could (its reasons name what went wrong).
"""

import base64
from dataclasses import dataclass
from typing import Any

from shared.cli.kubeconfig_merging import Kubeconfig

Object = dict[str, Any]
NAMESPACE = "kurator-system"
SECRET_KEY = "value"
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
CREDENTIAL_REASONS = ("InvalidKubeconfig", "Unauthorized")
"""Ready=False reasons no retry fixes: `join` reports them at once instead of waiting."""
WHY = {
    "InvalidKubeconfig": "invalid kubeconfig",
    "Unauthorized": "unauthorized",
    "Unreachable": "unreachable",
    "Connecting": "not connected yet",
}


def secret_name(cluster: str) -> str:
    return f"{cluster}-kubeconfig"


def parse_labels(text: str | None) -> dict[str, str]:
    """`k=v,k2=v2` as `kubectl label` takes them."""
    labels: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise ValueError(f'invalid label spec: "{item}", expected key=value')
        labels[key] = value
    return labels


def parse_taints(text: str | None) -> list[dict[str, str]]:
    """`key[=value]:Effect,…` as `kubectl taint` takes them."""
    taints = []
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        head, colon, effect = item.rpartition(":")
        if not colon or not head:
            raise ValueError(f'invalid taint spec: "{item}", expected key[=value]:Effect')
        if effect not in TAINT_EFFECTS:
            raise ValueError(
                f"invalid taint effect: {effect}, unsupported taint effect; "
                f"supported: {', '.join(TAINT_EFFECTS)}"
            )
        key, _, value = head.partition("=")
        taint = {"key": key, "effect": effect}
        if value:
            taint["value"] = value
        taints.append(taint)
    return taints


def kubeconfig_secret(cluster: str, kubeconfig_yaml: str, *, namespace: str = NAMESPACE) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": secret_name(cluster), "namespace": namespace},
        "type": "Opaque",
        "data": {SECRET_KEY: base64.b64encode(kubeconfig_yaml.encode()).decode()},
    }


def attached_cluster(
    cluster: str,
    *,
    labels: dict[str, str],
    taints: list[dict[str, str]],
    namespace: str = NAMESPACE,
) -> Object:
    spec: Object = {
        "kubeconfig": {"name": secret_name(cluster), "key": SECRET_KEY},
        "labels": labels,
    }
    if taints:
        spec["taints"] = taints
    return {
        "apiVersion": "cluster.kurator.dev/v1alpha1",
        "kind": "AttachedCluster",
        "metadata": {"name": cluster, "namespace": namespace},
        "spec": spec,
    }


def with_member(fleet: Object | None, *, name: str, namespace: str, cluster: str) -> Object:
    """The Fleet listing `cluster` (created when there is none), other members kept."""
    document = fleet or {
        "apiVersion": "fleet.kurator.dev/v1alpha1",
        "kind": "Fleet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"clusters": []},
    }
    spec = document.setdefault("spec", {})
    members = [m for m in spec.get("clusters") or [] if m.get("name") != cluster]
    spec["clusters"] = [*members, {"name": cluster, "kind": "AttachedCluster"}]
    return document


def without_member(fleet: Object, *, cluster: str) -> Object | None:
    """The Fleet without `cluster`; None when it did not list it (nothing to write)."""
    members = (fleet.get("spec") or {}).get("clusters") or []
    kept = [m for m in members if m.get("name") != cluster]
    if len(kept) == len(members):
        return None
    fleet["spec"]["clusters"] = kept
    return fleet


@dataclass(frozen=True)
class JoinVerdict:
    ready: bool
    final: bool
    """No point waiting: Ready, or refused credentials / an unusable kubeconfig."""
    reason: str
    message: str

    def explanation(self) -> str:
        why = WHY.get(self.reason, self.reason or "no verdict yet")
        return f"{why}: {self.message}" if self.message else why


def join_verdict(attached: Object | None) -> JoinVerdict:
    """What the AttachedCluster's Ready condition says about the join."""
    for condition in ((attached or {}).get("status") or {}).get("conditions") or []:
        if condition.get("type") != "Ready":
            continue
        reason = str(condition.get("reason") or "")
        message = str(condition.get("message") or "")
        if condition.get("status") == "True":
            return JoinVerdict(ready=True, final=True, reason=reason, message=message)
        return JoinVerdict(
            ready=False, final=reason in CREDENTIAL_REASONS, reason=reason, message=message
        )
    return JoinVerdict(ready=False, final=False, reason="Connecting", message="")


def member_kubeconfig_yaml(config: Kubeconfig) -> str:
    """The Secret's kubeconfig: only the context the member is reached through."""
    import yaml

    return yaml.safe_dump(config.document(), sort_keys=False)
