"""The members' kubeconfigs as the hub holds them: each AttachedCluster's kubeconfig Secret.

Read through the hub API only (the CLI imports no service), so simulated members and
clusters joined by hand or by `navarch join` are found the same way.
"""

import base64
import binascii
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shared.cli.client import ApiError, KubeClient, endpoint_from_kubeconfig
from shared.cli.kubeconfig_merging import (
    Kubeconfig,
    KubeconfigProblem,
    flattened,
    fleet_kubeconfig,
)
from shared.private_files import write_private

ATTACHED_CLUSTERS = "attachedclusters.cluster.kurator.dev"
DEFAULT_KEY = "value"


@dataclass
class MemberKubeconfigs:
    found: dict[str, Kubeconfig] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    """Cluster name → why its context is left out (no Secret, no key, not a kubeconfig)."""


def secret_reference(attached: dict[str, Any]) -> tuple[str, str]:
    """(Secret name, key) of an AttachedCluster, in Kurator's form or the articles'."""
    reference = (attached.get("spec") or {}).get("kubeconfig") or {}
    name = reference.get("name") or (reference.get("secretRef") or {}).get("name") or ""
    return str(name), str(reference.get("key") or DEFAULT_KEY)


def parse_kubeconfig(data: bytes) -> Kubeconfig:
    try:
        document = yaml.safe_load(data)
    except yaml.YAMLError as error:
        raise KubeconfigProblem(f"not a kubeconfig: {error}") from None
    if not isinstance(document, dict):
        raise KubeconfigProblem("not a kubeconfig: no mapping")
    return flattened(Kubeconfig.model_validate(document))


async def member_kubeconfigs(client: KubeClient) -> MemberKubeconfigs:
    attached_resource = await client.resolve(ATTACHED_CLUSTERS)
    secrets = await client.resolve("secrets")
    listing = await client.list(attached_resource, namespace=None)
    result = MemberKubeconfigs()
    for attached in listing.get("items", []):
        metadata = attached.get("metadata") or {}
        name = str(metadata.get("name", ""))
        secret_name, key = secret_reference(attached)
        try:
            secret = await client.get(secrets, metadata.get("namespace"), secret_name)
        except ApiError as error:
            if error.code != 404:
                raise
            result.skipped[name] = f'secret "{secret_name}" not found'
            continue
        encoded = (secret.get("data") or {}).get(key)
        if not encoded:
            result.skipped[name] = f'secret "{secret_name}" has no key "{key}"'
            continue
        try:
            result.found[name] = parse_kubeconfig(base64.b64decode(encoded))
        except (KubeconfigProblem, binascii.Error) as error:
            result.skipped[name] = f'secret "{secret_name}": {error}'
    return result


def read_kubeconfig(path: Path) -> Kubeconfig:
    """The file's kubeconfig; an empty one when there is no file (a merge starts from it)."""
    if not path.exists():
        return Kubeconfig()
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise KubeconfigProblem(f"not a kubeconfig: {' '.join(str(error).split())}") from None
    if document is not None and not isinstance(document, dict):
        raise KubeconfigProblem("not a kubeconfig: no mapping")
    return Kubeconfig.model_validate(document or {})


def dump(config: Kubeconfig) -> str:
    return yaml.safe_dump(config.document(), sort_keys=False)


async def fleet_config(
    hub_kubeconfig: Path, *, context: str | None = None
) -> tuple[Kubeconfig, MemberKubeconfigs]:
    """The hub's context (current) and every member's whose kubeconfig the hub holds."""
    hub = flattened(read_kubeconfig(hub_kubeconfig), context=context)
    async with KubeClient(endpoint_from_kubeconfig(str(hub_kubeconfig), context=context)) as client:
        members = await member_kubeconfigs(client)
    return fleet_kubeconfig(hub, members.found), members


async def write_fleet_kubeconfig(hub_kubeconfig: Path) -> str:
    """`navarch up`'s step: the hub kubeconfig gains a context per member cluster."""
    config, members = await fleet_config(hub_kubeconfig)
    write_private(hub_kubeconfig, dump(config))
    note = f"{len(members.found)} member contexts in {hub_kubeconfig}."
    if members.skipped:
        note += f" Left out: {', '.join(sorted(members.skipped))}."
    return note
