"""`navarch get workload|workloads [NAME] [--all-clusters] [-n NS | -A] [-o …]`.

Two reads against the hub (the namespace's ResourceBindings, every Work), then the pure
view in `workload_view`; tables, yaml, json and name as kubectl prints them.
"""

import argparse
import sys

from shared.cli import printing
from shared.cli.client import KubeClient
from shared.cli.workload_view import workload_name, workload_object, workload_table, workloads

WORKLOAD_NAMES = ("workload", "workloads")


async def get_workloads(client: KubeClient, args: argparse.Namespace, names: list[str]) -> int:
    bindings_resource = await client.resolve("resourcebindings.work.karmada.io")
    works_resource = await client.resolve("works.work.karmada.io")
    namespace = None if args.all_namespaces else (args.namespace or "default")
    bindings = await client.list(
        bindings_resource, namespace=namespace, label_selector=args.selector
    )
    works = await client.list(works_resource, namespace=None)
    found = []
    for name in names or [None]:
        matched = workloads(bindings.get("items", []), works.get("items", []), name=name)
        if name is not None and not matched:
            print(
                f'Error from server (NotFound): workload "{name}" is not propagated '
                f"in {namespace or 'any'} namespace",
                file=sys.stderr,
            )
            return 1
        found += matched
    if args.output in ("yaml", "json"):
        items = [workload_object(workload) for workload in found]
        document = (
            items[0]
            if names and len(items) == 1
            else {"apiVersion": "v1", "kind": "List", "items": items, "metadata": {}}
        )
        if args.output == "yaml":
            print(printing.as_yaml(document), end="")
        else:
            print(printing.as_json(document))
        return 0
    if args.output == "name":
        for workload in found:
            print(workload_name(workload))
        return 0
    if not found:
        scope = f" in {namespace} namespace" if namespace else ""
        print(f"No resources found{scope}.", file=sys.stderr)
        return 0
    print(
        workload_table(
            found,
            all_clusters=args.all_clusters,
            all_namespaces=args.all_namespaces,
            wide=args.output == "wide",
        )
    )
    return 0
