"""kubectl-like verbs against the hub: apply, get, describe, delete, version.

Messages and exit codes follow kubectl (`Error from server (NotFound): …`, exit 1), so
scripts written for kubectl keep working with `navarch`.
"""

import argparse
import asyncio
import base64
import os
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

from shared.cli import printing
from shared.cli.client import (
    ApiError,
    ApiResource,
    KubeClient,
    UnknownResourceError,
    endpoint_from_kubeconfig,
)
from shared.cli.discovery_cache import cache_dir_for
from shared.cli.propagation_view import propagation_table
from shared.cli.workload_command import WORKLOAD_NAMES, get_workloads

Object = dict[str, Any]
FIELD_MANAGER = "navarch-cli"


def default_kubeconfig() -> str:
    if os.environ.get("KUBECONFIG"):
        return os.environ["KUBECONFIG"].split(os.pathsep)[0]
    return str(navarch_home() / "hub.kubeconfig")


def add_parsers(commands: argparse._SubParsersAction) -> None:
    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--kubeconfig",
            default=None,
            help="default: $KUBECONFIG or $NAVARCH_HOME/hub.kubeconfig",
        )
        parser.add_argument("--context", default=None)
        parser.add_argument("-n", "--namespace", default=None)

    apply = commands.add_parser("apply", help="server-side apply manifests (files, dirs, -)")
    common(apply)
    apply.add_argument("-f", "--filename", action="append", required=True)
    apply.add_argument("--force-conflicts", action="store_true")
    apply.set_defaults(handler=lambda args: _run(command_apply(args)))

    get = commands.add_parser("get", help="list or show objects")
    common(get)
    get.add_argument("kind")
    get.add_argument("names", nargs="*")
    get.add_argument("-A", "--all-namespaces", action="store_true")
    get.add_argument("-l", "--selector", default=None)
    get.add_argument("--field-selector", default=None)
    get.add_argument("-o", "--output", default=None, choices=["wide", "yaml", "json", "name"])
    get.add_argument("-w", "--watch", action="store_true")
    get.add_argument(
        "--clusters", action="store_true", help="per member cluster: desired, ready, image, synced"
    )
    get.add_argument(
        "--all-clusters",
        action="store_true",
        help="get workload: a row per member cluster (desired, ready, available, image)",
    )
    get.set_defaults(handler=lambda args: _run(command_get(args)))

    describe = commands.add_parser("describe", help="show an object in detail")
    common(describe)
    describe.add_argument("kind")
    describe.add_argument("name")
    describe.set_defaults(handler=lambda args: _run(command_describe(args)))

    delete = commands.add_parser("delete", help="delete objects by file or by name")
    common(delete)
    delete.add_argument("kind", nargs="?")
    delete.add_argument("names", nargs="*")
    delete.add_argument("-f", "--filename", action="append")
    delete.add_argument("--ignore-not-found", action="store_true")
    delete.set_defaults(handler=lambda args: _run(command_delete(args)))

    version_parser = commands.add_parser("version", help="client and hub versions")
    common(version_parser)
    version_parser.set_defaults(handler=lambda args: _run(command_version(args)))


def _run(coroutine: Any) -> int:
    try:
        return asyncio.run(coroutine)
    except KeyboardInterrupt:
        return 130


def navarch_home() -> Path:
    return Path(os.environ.get("NAVARCH_HOME") or ".navarch")


def cli_client(kubeconfig: str | None, *, context: str | None) -> KubeClient:
    """A client for the kubeconfig's context, keeping discovery under $NAVARCH_HOME/cache."""
    path = kubeconfig or default_kubeconfig()
    if not Path(path).exists():
        raise SystemExit(f"error: kubeconfig {path} not found; is `navarch up` running?")
    endpoint = endpoint_from_kubeconfig(path, context=context)
    return KubeClient(endpoint, cache_dir=cache_dir_for(endpoint.server, navarch_home()))


def _client(args: argparse.Namespace) -> KubeClient:
    return cli_client(args.kubeconfig, context=args.context)


def read_manifests(sources: list[str]) -> Iterator[Object]:
    """Every document of every file (a directory: its .yaml/.yml/.json files, sorted)."""
    from shared import safeyaml

    for source in sources:
        if source == "-":
            texts = [sys.stdin.read()]
        else:
            path = Path(source)
            if path.is_dir():
                files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
            elif path.exists():
                files = [path]
            else:
                raise SystemExit(f'error: the path "{source}" does not exist')
            texts = [file.read_text() for file in files]
        for text in texts:
            for document in safeyaml.load_all(text):
                if not document:
                    continue
                if document.get("kind", "").endswith("List") and "items" in document:
                    yield from document["items"]
                else:
                    yield document


def display_name(resource: ApiResource, name: str) -> str:
    prefix = f"{resource.singular}.{resource.group}" if resource.group else resource.singular
    return f"{prefix}/{name}"


def _namespace_for(resource: ApiResource, obj: Object, flag: str | None) -> str | None:
    if not resource.namespaced:
        return None
    return obj.get("metadata", {}).get("namespace") or flag or "default"


async def command_apply(args: argparse.Namespace) -> int:
    failed = False
    async with _client(args) as client:
        for obj in read_manifests(args.filename):
            try:
                resource = await client.resource_for(obj.get("apiVersion", ""), obj.get("kind", ""))
                namespace = _namespace_for(resource, obj, args.namespace)
                if namespace:
                    obj.setdefault("metadata", {})["namespace"] = namespace
                name = obj.get("metadata", {}).get("name", "")
                try:
                    before = await client.get(resource, namespace, name)
                except ApiError as error:
                    if error.code != 404:
                        raise
                    before = None
                after = await client.apply(
                    resource, obj, field_manager=FIELD_MANAGER, force=args.force_conflicts
                )
                if before is None:
                    outcome = "created"
                elif before["metadata"].get("resourceVersion") == after["metadata"].get(
                    "resourceVersion"
                ):
                    outcome = "unchanged"
                else:
                    outcome = "configured"
                print(f"{display_name(resource, name)} {outcome}")
            except (ApiError, UnknownResourceError) as error:
                failed = True
                print(_error_text(error, obj), file=sys.stderr)
    return 1 if failed else 0


def _error_text(error: Exception, obj: Object | None = None) -> str:
    if isinstance(error, UnknownResourceError) and obj is not None:
        return (
            f'error: resource mapping not found for name: "{obj.get("metadata", {}).get("name")}"'
            f' namespace: "{obj.get("metadata", {}).get("namespace", "")}" from "": no matches '
            f'for kind "{obj.get("kind")}" in version "{obj.get("apiVersion")}"'
        )
    if isinstance(error, UnknownResourceError):
        return f"error: {error}"
    return str(error)


async def command_get(args: argparse.Namespace) -> int:
    kind, names = args.kind, list(args.names)
    if "/" in kind:
        kind, name = kind.split("/", 1)
        names.insert(0, name)
    async with _client(args) as client:
        if kind.lower() in WORKLOAD_NAMES:
            return await get_workloads(client, args, names)
        try:
            resource = await client.resolve(kind)
        except UnknownResourceError as error:
            print(_error_text(error), file=sys.stderr)
            return 1
        namespace = None if args.all_namespaces else (args.namespace or "default")
        all_namespaces = args.all_namespaces and resource.namespaced
        try:
            if names:
                objects = [await client.get(resource, namespace, name) for name in names]
                revision = None
            else:
                listing = await client.list(
                    resource,
                    namespace=namespace,
                    label_selector=args.selector,
                    field_selector=args.field_selector,
                )
                objects = [
                    dict(item, apiVersion=resource.api_version, kind=resource.kind)
                    for item in listing.get("items", [])
                ]
                revision = listing.get("metadata", {}).get("resourceVersion")
        except ApiError as error:
            print(str(error), file=sys.stderr)
            return 1
        if args.clusters and names:
            for obj in objects:
                print(await propagation_table(client, resource, obj))
            return 0
        _print_objects(objects, resource, args, all_namespaces=all_namespaces, single=bool(names))
        if args.watch and revision is not None:
            async for event in client.watch(
                resource,
                namespace=namespace,
                resource_version=revision,
                label_selector=args.selector,
            ):
                if event.get("type") in ("BOOKMARK",):
                    continue
                if event.get("type") == "ERROR":
                    print(f"error: {event['object'].get('message')}", file=sys.stderr)
                    return 1
                _print_objects(
                    [event["object"]],
                    resource,
                    args,
                    all_namespaces=all_namespaces,
                    single=True,
                    header=False,
                )
                sys.stdout.flush()
    return 0


def _print_objects(
    objects: list[Object],
    resource: ApiResource,
    args: argparse.Namespace,
    *,
    all_namespaces: bool,
    single: bool,
    header: bool = True,
) -> None:
    if args.output in ("yaml", "json"):
        document: Object = (
            objects[0]
            if single and len(objects) == 1
            else {
                "apiVersion": "v1",
                "kind": "List",
                "items": objects,
                "metadata": {"resourceVersion": ""},
            }
        )
        print(
            printing.as_yaml(document) if args.output == "yaml" else printing.as_json(document),
            end="" if args.output == "yaml" else "\n",
        )
        return
    if args.output == "name":
        for obj in objects:
            print(display_name(resource, obj["metadata"]["name"]))
        return
    if not objects:
        scope = (
            f" in {args.namespace or 'default'} namespace"
            if resource.namespaced and not all_namespaces
            else ""
        )
        print(f"No resources found{scope}.", file=sys.stderr)
        return
    text = printing.table(
        objects,
        kind_group=(resource.group, resource.kind),
        all_namespaces=all_namespaces,
        wide=args.output == "wide",
    )
    print(text if header else "\n".join(text.splitlines()[1:]))


async def command_describe(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        try:
            resource = await client.resolve(args.kind)
            namespace = (args.namespace or "default") if resource.namespaced else None
            obj = await client.get(resource, namespace, args.name)
            events = await _events_for(client, obj, namespace)
        except (ApiError, UnknownResourceError) as error:
            print(_error_text(error), file=sys.stderr)
            return 1
    print(describe_text(obj, events))
    return 0


async def _events_for(client: KubeClient, obj: Object, namespace: str | None) -> list[Object]:
    try:
        events_resource = await client.resolve("events")
    except UnknownResourceError:
        return []
    listing = await client.list(events_resource, namespace=namespace or "default")
    return [
        event
        for event in listing.get("items", [])
        if event.get("involvedObject", {}).get("name") == obj["metadata"]["name"]
        and event.get("involvedObject", {}).get("kind") == obj.get("kind")
    ]


def describe_text(obj: Object, events: list[Object]) -> str:
    """kubectl-describe-like text; Secret values are never shown, only their sizes."""
    metadata = obj.get("metadata", {})
    lines = [f"Name:         {metadata.get('name')}"]
    if metadata.get("namespace"):
        lines.append(f"Namespace:    {metadata['namespace']}")
    for title, mapping in (
        ("Labels", metadata.get("labels")),
        ("Annotations", metadata.get("annotations")),
    ):
        entries = [f"{k}={v}" for k, v in (mapping or {}).items()] or ["<none>"]
        lines.append(f"{title + ':':<14}{entries[0]}")
        lines += [f"{'':<14}{entry}" for entry in entries[1:]]
    lines.append(f"API Version:  {obj.get('apiVersion')}")
    lines.append(f"Kind:         {obj.get('kind')}")
    lines.append(f"Created:      {metadata.get('creationTimestamp')}")
    if metadata.get("deletionTimestamp"):
        lines.append(f"Deleting:     since {metadata['deletionTimestamp']}")
    if obj.get("kind") == "Secret":
        lines.append("Data")
        lines.append("====")
        for key, value in (obj.get("data") or {}).items():
            lines.append(f"{key}:  {len(base64.b64decode(value))} bytes")
    else:
        for section in ("spec", "data"):
            if obj.get(section):
                lines.append(f"{section.capitalize()}:")
                lines += ["  " + line for line in printing.as_yaml(obj[section]).splitlines()]
    status = dict(obj.get("status") or {})
    conditions = status.pop("conditions", None)
    if status:
        lines.append("Status:")
        lines += ["  " + line for line in printing.as_yaml(status).splitlines()]
    if conditions:
        lines.append("Conditions:")
        rows = [
            [c.get("type", ""), c.get("status", ""), c.get("reason", ""), c.get("message", "")]
            for c in conditions
        ]
        table = printing.render_rows(["Type", "Status", "Reason", "Message"], rows)
        lines += ["  " + line for line in table.splitlines()]
    lines.append("Events:")
    if not events:
        lines.append("  <none>")
    else:
        rows = [
            [e.get("type", ""), e.get("reason", ""), printing.age(e), e.get("message", "")]
            for e in events[-10:]
        ]
        table = printing.render_rows(["Type", "Reason", "Age", "Message"], rows)
        lines += ["  " + line for line in table.splitlines()]
    return "\n".join(lines)


async def command_delete(args: argparse.Namespace) -> int:
    failed = False
    async with _client(args) as client:
        targets: list[tuple[ApiResource, str | None, str]] = []
        try:
            if args.filename:
                for obj in read_manifests(args.filename):
                    resource = await client.resource_for(obj["apiVersion"], obj["kind"])
                    targets.append(
                        (
                            resource,
                            _namespace_for(resource, obj, args.namespace),
                            obj["metadata"]["name"],
                        )
                    )
            elif args.kind:
                kind, names = args.kind, list(args.names)
                if "/" in kind:
                    kind, name = kind.split("/", 1)
                    names.insert(0, name)
                if not names:
                    print(
                        "error: resource(s) were provided, but no name was specified",
                        file=sys.stderr,
                    )
                    return 1
                resource = await client.resolve(kind)
                namespace = (args.namespace or "default") if resource.namespaced else None
                targets = [(resource, namespace, name) for name in names]
            else:
                print(
                    "error: you must provide one or more resources by argument or filename",
                    file=sys.stderr,
                )
                return 1
        except UnknownResourceError as error:
            print(_error_text(error), file=sys.stderr)
            return 1
        for resource, namespace, name in targets:
            try:
                await client.delete(resource, namespace, name)
                kind_name = display_name(resource, name).rsplit("/", 1)[0]
                print(f'{kind_name} "{name}" deleted')
            except ApiError as error:
                if error.code == 404 and args.ignore_not_found:
                    continue
                failed = True
                print(str(error), file=sys.stderr)
    return 1 if failed else 0


async def command_version(args: argparse.Namespace) -> int:
    print(f"Client Version: navarch {version('navarch')}")
    try:
        async with _client(args) as client:
            server = await client.server_version()
    except (ApiError, OSError, SystemExit) as error:
        print(f"error: cannot reach the hub: {error}", file=sys.stderr)
        return 1
    print(f"Server Version: {server.get('gitVersion')}")
    return 0
