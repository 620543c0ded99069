"""commandOverrider / argsOverrider, ported from Karmada's
pkg/util/overridemanager/commandargsoverride_test.go and extended to the applied result."""

from typing import Any

import pytest

from shared.api.overrides import CommandArgsOverrider, Overriders
from shared.overriding.rendering import (
    OverrideError,
    apply_overriders,
    build_command_args_patches,
)

TEMPLATE_CONTAINERS = "/spec/template/spec/containers"


def workload(kind: str, *containers: dict[str, Any]) -> dict[str, Any]:
    if kind == "Pod":
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "nginx"},
            "spec": {"containers": list(containers)},
        }
    return {
        "apiVersion": "batch/v1" if kind == "Job" else "apps/v1",
        "kind": kind,
        "metadata": {"name": "nginx", "labels": {"app": "nginx"}},
        "spec": {
            "replicas": 1,
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": list(containers)},
            },
        },
    }


def container(name: str = "nginx", **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": "nginx"} | fields


def overrider(operator: str, *value: str, name: str = "nginx") -> CommandArgsOverrider:
    return CommandArgsOverrider.model_validate(
        {"containerName": name, "operator": operator, "value": list(value)}
    )


COMMAND = ["nginx", "-v", "-t"]


@pytest.mark.parametrize(
    ("target", "manifest", "change", "expected"),
    [
        pytest.param(
            "command",
            workload("Deployment", container(command=COMMAND)),
            overrider("add", "&& echo 'hello karmada'"),
            [
                {
                    "op": "replace",
                    "path": f"{TEMPLATE_CONTAINERS}/0/command",
                    "value": [*COMMAND, "&& echo 'hello karmada'"],
                }
            ],
            id="deployment-command-add",
        ),
        pytest.param(
            "command",
            workload("Deployment", container(command=COMMAND)),
            overrider("remove", "-t"),
            [
                {
                    "op": "replace",
                    "path": f"{TEMPLATE_CONTAINERS}/0/command",
                    "value": ["nginx", "-v"],
                }
            ],
            id="deployment-command-remove",
        ),
        pytest.param(
            "command",
            workload("Deployment", container(command=COMMAND)),
            overrider("remove"),
            [{"op": "replace", "path": f"{TEMPLATE_CONTAINERS}/0/command", "value": COMMAND}],
            id="remove-nothing-keeps-the-list",
        ),
        pytest.param(
            "command",
            workload(
                "Deployment",
                container(command=COMMAND),
                container("nginx1", command=COMMAND),
            ),
            overrider("add", "echo 'hello karmada'"),
            [
                {
                    "op": "replace",
                    "path": f"{TEMPLATE_CONTAINERS}/0/command",
                    "value": [*COMMAND, "echo 'hello karmada'"],
                }
            ],
            id="only-the-named-container-add",
        ),
        pytest.param(
            "command",
            workload(
                "Deployment",
                container(command=COMMAND),
                container("nginx1", command=COMMAND),
            ),
            overrider("remove", "-t"),
            [
                {
                    "op": "replace",
                    "path": f"{TEMPLATE_CONTAINERS}/0/command",
                    "value": ["nginx", "-v"],
                }
            ],
            id="only-the-named-container-remove",
        ),
        pytest.param(
            "command",
            workload("Pod", container(command=COMMAND)),
            overrider("add", "echo 'hello karmada'"),
            [
                {
                    "op": "replace",
                    "path": "/spec/containers/0/command",
                    "value": [*COMMAND, "echo 'hello karmada'"],
                }
            ],
            id="pod-command-add",
        ),
        *(
            pytest.param(
                "command",
                workload(kind, container(command=COMMAND)),
                overrider("remove", "-t"),
                [
                    {
                        "op": "replace",
                        "path": f"{TEMPLATE_CONTAINERS}/0/command",
                        "value": ["nginx", "-v"],
                    }
                ],
                id=f"{kind}-command-remove",
            )
            for kind in ("StatefulSet", "ReplicaSet", "DaemonSet", "Job")
        ),
        pytest.param(
            "args",
            workload("Deployment", container(args=COMMAND)),
            overrider("add", "&& echo 'hello karmada'"),
            [
                {
                    "op": "replace",
                    "path": f"{TEMPLATE_CONTAINERS}/0/args",
                    "value": [*COMMAND, "&& echo 'hello karmada'"],
                }
            ],
            id="deployment-args-add",
        ),
        pytest.param(
            "args",
            workload("Deployment", container(args=COMMAND)),
            overrider("remove", "-t"),
            [{"op": "replace", "path": f"{TEMPLATE_CONTAINERS}/0/args", "value": ["nginx", "-v"]}],
            id="deployment-args-remove",
        ),
        pytest.param(
            "args",
            workload("Deployment", container(command=COMMAND)),
            overrider("add", "-t"),
            [{"op": "add", "path": f"{TEMPLATE_CONTAINERS}/0/args", "value": ["-t"]}],
            id="absent-args-are-added",
        ),
        pytest.param(
            "args",
            workload("Deployment", container()),
            overrider("remove", "-t"),
            [{"op": "add", "path": f"{TEMPLATE_CONTAINERS}/0/args", "value": []}],
            id="remove-on-absent-list-adds-an-empty-list",
        ),
        pytest.param(
            "command",
            workload("Deployment", container(command=COMMAND)),
            overrider("add", "--x", name="sidecar"),
            [],
            id="no-container-of-that-name",
        ),
        pytest.param(
            "command",
            {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}},
            overrider("add", "--x"),
            [],
            id="unknown-kind",
        ),
        pytest.param(
            "command",
            workload("Deployment"),
            overrider("add", "--x"),
            [],
            id="no-containers",
        ),
    ],
)
def test_build_command_args_patches(
    target: str,
    manifest: dict[str, Any],
    change: CommandArgsOverrider,
    expected: list[dict[str, Any]],
) -> None:
    patches = build_command_args_patches(
        target=target,  # type: ignore[arg-type]
        manifest=manifest,
        overrider=change,
    )
    assert patches == expected


def test_remove_drops_every_occurrence_of_each_value() -> None:
    manifest = workload("Deployment", container(args=["-v", "-t", "-v", "--x", "-t"]))
    rendered = apply_overriders(
        manifest, Overriders(args_overrider=[overrider("remove", "-v", "-t")])
    )
    assert rendered["spec"]["template"]["spec"]["containers"][0]["args"] == ["--x"]


def test_command_then_args_then_repeated_entries() -> None:
    manifest = workload("Deployment", container(command=["/app/server"]))
    rendered = apply_overriders(
        manifest,
        Overriders(
            command_overrider=[overrider("add", "--a"), overrider("add", "--b")],
            args_overrider=[overrider("add", "serve")],
        ),
    )
    only = rendered["spec"]["template"]["spec"]["containers"][0]
    assert only["command"] == ["/app/server", "--a", "--b"]
    assert only["args"] == ["serve"]


def test_init_containers_are_not_changed() -> None:
    manifest = workload("Deployment", container(command=["run"]))
    manifest["spec"]["template"]["spec"]["initContainers"] = [container(command=["init"])]
    rendered = apply_overriders(manifest, Overriders(command_overrider=[overrider("add", "--x")]))
    assert rendered["spec"]["template"]["spec"]["initContainers"][0]["command"] == ["init"]
    assert rendered["spec"]["template"]["spec"]["containers"][0]["command"] == ["run", "--x"]


def test_a_command_that_is_not_a_list_fails() -> None:
    manifest = workload("Deployment", container(command="nginx -t"))
    with pytest.raises(OverrideError, match="command is not a list") as caught:
        apply_overriders(manifest, Overriders(command_overrider=[overrider("add", "--x")]))
    assert caught.value.overrider == "commandOverrider[0]"
    assert caught.value.path == f"{TEMPLATE_CONTAINERS}/0/command"
