"""`navarch plan`: what the hub would decide for these documents, without a hub."""

import argparse
import json
import sys

import yaml

from shared.api.cluster import Cluster
from shared.api.overrides import (
    ClusterOverridePolicy,
    KuratorOverridePolicy,
    OverridePolicy,
    PolicyValidationError,
    parse_override_policy,
)
from shared.api.simulated_fleet import FleetConfigError
from shared.cli.kube_commands import read_manifests
from shared.cli.printing import render_rows
from shared.overriding.rendering import RenderError, render
from shared.placement.planning import Object, Plan, Renderer, plan
from shared.placement.policies import group_kind

OVERRIDE_KINDS = {
    ("policy.karmada.io", "OverridePolicy"),
    ("policy.karmada.io", "ClusterOverridePolicy"),
    ("policy.kurator.dev", "OverridePolicy"),
    ("apps.kurator.dev", "OverridePolicy"),
}


def add_parsers(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "plan", help="place resources on clusters offline (Karmada's decisions, no hub)"
    )
    parser.add_argument(
        "-f",
        "--filename",
        action="append",
        required=True,
        help="files or directories: resources, policies, overrides, Cluster objects, a "
        "SimulatedFleet",
    )
    parser.add_argument("-o", "--output", choices=["json", "yaml", "table"], default="table")
    parser.set_defaults(handler=command_plan)


def command_plan(args: argparse.Namespace) -> int:
    documents = list(read_manifests(args.filename))
    try:
        result = plan(documents, render=renderer(documents))
    except (FleetConfigError, PolicyValidationError, RenderError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.output == "json":
        print(json.dumps(result.document(), indent=2))
    elif args.output == "yaml":
        print(yaml.safe_dump(result.document(), sort_keys=False), end="")
    else:
        print(table(result))
    return 0


def renderer(documents: list[Object]) -> Renderer:
    """Render each placed copy with the documents' override policies, as the engine would."""
    cluster_policies: list[ClusterOverridePolicy] = []
    namespaced: list[OverridePolicy | KuratorOverridePolicy] = []
    for document in documents:
        if group_kind(document) not in OVERRIDE_KINDS:
            continue
        policy = parse_override_policy(document)
        if isinstance(policy, ClusterOverridePolicy):
            cluster_policies.append(policy)
        else:
            policy.metadata.namespace = policy.metadata.namespace or "default"
            namespaced.append(policy)

    def render_one(template: Object, cluster: Cluster, replicas: int | None) -> Object:
        return render(
            template,
            cluster=cluster,
            replicas=replicas,
            cluster_override_policies=cluster_policies,
            override_policies=namespaced,
        )

    return render_one


def table(result: Plan) -> str:
    rows = []
    for placement in result.placements:
        resource = placement.resource
        name = f"{resource.kind}/{resource.name}"
        if resource.namespace:
            name = f"{resource.namespace}/{name}"
        policy = placement.policy.name if placement.policy else "<none>"
        clusters = ",".join(
            f"{c.name}:{c.replicas}" if c.replicas is not None else c.name
            for c in placement.clusters
        )
        rows.append([name, policy, clusters or "<none>", placement.message or ""])
    return render_rows(["RESOURCE", "POLICY", "CLUSTERS", "MESSAGE"], rows)
