"""`navarch join NAME --kubeconfig FILE …` and `navarch unjoin NAME`, like `karmadactl`.

join: the Secret, the AttachedCluster and the Fleet membership in one step, then wait
(watching the AttachedCluster) until the fleet-manager reports it Ready, or say why not.
unjoin: the reverse, waiting until the Karmada Cluster is gone so its workloads have been
rescheduled by their policies.
"""

import argparse
import asyncio
import sys
from pathlib import Path

from shared.cli.client import ApiError, ApiResource, KubeClient, endpoint_from_kubeconfig
from shared.cli.fleet_contexts import read_kubeconfig
from shared.cli.joining import (
    NAMESPACE,
    attached_cluster,
    join_verdict,
    kubeconfig_secret,
    member_kubeconfig_yaml,
    parse_labels,
    parse_taints,
    secret_name,
    with_member,
    without_member,
)
from shared.cli.kube_commands import default_kubeconfig
from shared.cli.kubeconfig_merging import Kubeconfig, KubeconfigProblem, flattened

FIELD_MANAGER = "navarch-join"
DEFAULT_TIMEOUT_S = 60.0
CONFLICT_RETRIES = 5


def add_parsers(commands: argparse._SubParsersAction) -> None:
    join = commands.add_parser("join", help="attach a cluster to the fleet and wait until Ready")
    join.add_argument("name", help="the cluster's name in the fleet")
    join.add_argument(
        "--kubeconfig",
        "--cluster-kubeconfig",
        dest="cluster_kubeconfig",
        required=True,
        help="the member cluster's kubeconfig",
    )
    join.add_argument(
        "--context",
        "--cluster-context",
        dest="cluster_context",
        default=None,
        help="its context (default: the current one)",
    )
    join.add_argument("--fleet", default=None, help="also list the cluster in this Fleet")
    join.add_argument("--labels", default=None, help="k=v,k2=v2: labels of the cluster")
    join.add_argument("--taints", default=None, help="key[=value]:Effect,…: taints of the cluster")
    _hub_flags(join)
    join.set_defaults(handler=command_join)

    unjoin = commands.add_parser("unjoin", help="remove a cluster from the fleet")
    unjoin.add_argument("name")
    _hub_flags(unjoin)
    unjoin.set_defaults(handler=lambda args: asyncio.run(command_unjoin(args)))


def _hub_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hub-kubeconfig",
        default=None,
        help="default: $KUBECONFIG or $NAVARCH_HOME/hub.kubeconfig",
    )
    parser.add_argument("--hub-context", default=None)
    parser.add_argument("-n", "--namespace", default=NAMESPACE, help="of the AttachedCluster")
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds to wait (0: do not)"
    )


def _hub(args: argparse.Namespace) -> KubeClient:
    path = args.hub_kubeconfig or default_kubeconfig()
    if not Path(path).exists():
        raise FileNotFoundError(2, "No such file or directory", path)
    return KubeClient(endpoint_from_kubeconfig(path, context=args.hub_context))


async def _get_or_none(
    client: KubeClient, resource: ApiResource, namespace: str | None, name: str
) -> dict | None:
    try:
        return await client.get(resource, namespace, name)
    except ApiError as error:
        if error.code == 404:
            return None
        raise


async def _update_fleet(
    client: KubeClient, *, namespace: str, name: str, cluster: str, joining: bool
) -> None:
    """Read, change, write with the read resourceVersion; a conflict re-reads."""
    fleets = await client.resolve("fleets.fleet.kurator.dev")
    for _ in range(CONFLICT_RETRIES):
        current = await _get_or_none(client, fleets, namespace, name)
        if joining:
            wanted = with_member(current, name=name, namespace=namespace, cluster=cluster)
        elif current is None or (wanted := without_member(current, cluster=cluster)) is None:
            return
        try:
            if current is None:
                await client.request("POST", fleets.collection_path(namespace), body=wanted)
            else:
                await client.request("PUT", fleets.item_path(namespace, name), body=wanted)
            return
        except ApiError as error:
            if error.code != 409:
                raise
    raise RuntimeError(f"fleet {namespace}/{name} kept changing; try again")


async def _wait_joined(
    client: KubeClient, resource: ApiResource, *, namespace: str, name: str, timeout: float
) -> int:
    current = await client.get(resource, namespace, name)
    verdict = join_verdict(current)
    try:
        async with asyncio.timeout(timeout):
            revision = current["metadata"]["resourceVersion"]
            while not verdict.final:
                async for event in client.watch(
                    resource, namespace=namespace, resource_version=revision
                ):
                    obj = event.get("object") or {}
                    revision = (obj.get("metadata") or {}).get("resourceVersion", revision)
                    if (obj.get("metadata") or {}).get("name") != name:
                        continue
                    verdict = join_verdict(obj)
                    if verdict.final:
                        break
    except TimeoutError:
        pass
    if verdict.ready:
        print(f"cluster({name}) is joined successfully")
        return 0
    waited = "" if verdict.final else f" after {timeout:g}s"
    print(
        f"error: cluster({name}) is not Ready{waited}: {verdict.explanation()} "
        f"(`navarch unjoin {name}` removes it)",
        file=sys.stderr,
    )
    return 1


def command_join(args: argparse.Namespace) -> int:
    """Check everything given before anything is written, then join."""
    path = Path(args.cluster_kubeconfig)
    if not path.is_file():
        print(f"error: stat {path}: no such file or directory", file=sys.stderr)
        return 1
    try:
        member = flattened(read_kubeconfig(path), context=args.cluster_context)
    except (KubeconfigProblem, ValueError) as error:
        print(f"error: invalid kubeconfig {path}: {error}", file=sys.stderr)
        return 1
    labels, taints = parse_labels(args.labels), parse_taints(args.taints)
    return asyncio.run(_join(args, member=member, labels=labels, taints=taints))


async def _join(
    args: argparse.Namespace,
    *,
    member: Kubeconfig,
    labels: dict[str, str],
    taints: list[dict[str, str]],
) -> int:
    async with _hub(args) as client:
        attached_resource = await client.resolve("attachedclusters.cluster.kurator.dev")
        secrets = await client.resolve("secrets")
        secret = kubeconfig_secret(
            args.name, member_kubeconfig_yaml(member), namespace=args.namespace
        )
        await client.apply(secrets, secret, field_manager=FIELD_MANAGER, force=True)
        attached = attached_cluster(
            args.name, labels=labels, taints=taints, namespace=args.namespace
        )
        await client.apply(attached_resource, attached, field_manager=FIELD_MANAGER, force=True)
        if args.fleet:
            await _update_fleet(
                client, namespace=args.namespace, name=args.fleet, cluster=args.name, joining=True
            )
        if args.timeout <= 0:
            print(f"cluster({args.name}) is joining")
            return 0
        return await _wait_joined(
            client,
            attached_resource,
            namespace=args.namespace,
            name=args.name,
            timeout=args.timeout,
        )


async def _wait_gone(client: KubeClient, *, name: str, timeout: float) -> bool:
    clusters = await client.resolve("clusters.cluster.karmada.io")
    try:
        async with asyncio.timeout(timeout):
            while (current := await _get_or_none(client, clusters, None, name)) is not None:
                async for event in client.watch(
                    clusters,
                    namespace=None,
                    resource_version=current["metadata"]["resourceVersion"],
                ):
                    obj = event.get("object") or {}
                    if (
                        event.get("type") == "DELETED"
                        and obj.get("metadata", {}).get("name") == name
                    ):
                        return True
    except TimeoutError:
        return False
    return True


async def command_unjoin(args: argparse.Namespace) -> int:
    async with _hub(args) as client:
        attached_resource = await client.resolve("attachedclusters.cluster.kurator.dev")
        secrets = await client.resolve("secrets")
        fleets = await client.resolve("fleets.fleet.kurator.dev")
        attached = await _get_or_none(client, attached_resource, args.namespace, args.name)
        if attached is None:
            print(
                f'Error from server (NotFound): attachedclusters.cluster.kurator.dev "{args.name}" '
                "not found",
                file=sys.stderr,
            )
            return 1
        listing = await client.list(fleets, namespace=args.namespace)
        for fleet in listing.get("items", []):
            await _update_fleet(
                client,
                namespace=args.namespace,
                name=fleet["metadata"]["name"],
                cluster=args.name,
                joining=False,
            )
        await client.delete(attached_resource, args.namespace, args.name)
        reference = ((attached.get("spec") or {}).get("kubeconfig") or {}).get("name")
        if reference == secret_name(args.name):
            try:
                await client.delete(secrets, args.namespace, reference)
            except ApiError as error:
                if error.code != 404:
                    raise
        if args.timeout > 0 and not await _wait_gone(client, name=args.name, timeout=args.timeout):
            print(
                f"error: cluster({args.name}) is still in the fleet after {args.timeout:g}s",
                file=sys.stderr,
            )
            return 1
    print(f"cluster({args.name}) is unjoined successfully")
    return 0
