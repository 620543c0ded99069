"""Kurator's backup examples (kurator-dev/kurator `examples/backup/`) applied unchanged to
`navarch up` with two simulated members attached as Kurator's quickstart names them: the
on-demand minimal backup of every cluster, then the namespace restore into one member."""

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Fleet, down, up, wait_until

ATTACHED_CLUSTERS = """\
apiVersion: cluster.kurator.dev/v1alpha1
kind: AttachedCluster
metadata:
  name: kurator-member1
  namespace: default
spec:
  kubeconfig:
    name: kurator-member1
    key: kurator-member1.config
---
apiVersion: cluster.kurator.dev/v1alpha1
kind: AttachedCluster
metadata:
  name: kurator-member2
  namespace: default
spec:
  kubeconfig:
    name: kurator-member2
    key: kurator-member2.config
"""
FLEET = """\
apiVersion: fleet.kurator.dev/v1alpha1
kind: Fleet
metadata:
  name: quickstart
  namespace: default
spec:
  clusters:
    - name: kurator-member1
      kind: AttachedCluster
    - name: kurator-member2
      kind: AttachedCluster
"""
BUSYBOX = """\
apiVersion: v1
kind: Namespace
metadata:
  name: kurator-backup
---
apiVersion: v1
kind: Pod
metadata:
  name: busybox
  namespace: kurator-backup
spec:
  containers:
    - name: test-container
      image: busybox
      command: ["/bin/sh", "-c", "echo Hello Kurator!  && sleep 3600"]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: test-pvc
  namespace: kurator-backup
spec:
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: 1Gi
"""
BACKUP_MINIMAL = """\
apiVersion: backup.kurator.dev/v1alpha1
kind: Backup
metadata:
  name: minimal
  namespace: default
spec:
  destination:
    fleet: "quickstart"
"""
RESTORE_SPECIFIC_NS = """\
apiVersion: backup.kurator.dev/v1alpha1
kind: Restore
metadata:
  name: specific-ns
  namespace: default
spec:
  backupName: minimal
  destination:
    fleet: quickstart
    clusters:
      - kind: AttachedCluster
        name: kurator-member1
  policy:
    resourceFilter:
      includedNamespaces:
        - kurator-backup
"""
MEMBERS = {"kurator-member1": "member-1", "kurator-member2": "member-2"}


@pytest.fixture
def quickstart(tmp_path: Path) -> Iterator[Fleet]:
    fleet = up(tmp_path / "hub", "--sim-clusters", "2")
    try:
        yield fleet
    finally:
        down(fleet)


def apply(fleet: Fleet, text: str) -> None:
    result = fleet.navarch("apply", "-f", "-", stdin=text)
    assert result.returncode == 0, result.stderr


def phase(fleet: Fleet, kind: str, name: str) -> str:
    result = fleet.navarch("get", kind, name, "-n", "default", "-o", "json")
    if result.returncode != 0:
        return ""
    return str(json.loads(result.stdout).get("status", {}).get("phase") or "")


def attach_secrets(fleet: Fleet) -> None:
    """Each member's kubeconfig in the Secret Kurator's AttachedCluster example names."""
    for kurator_name, cluster in MEMBERS.items():
        kubeconfig = (fleet.home / "members" / f"{cluster}.kubeconfig").read_text()
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": kurator_name, "namespace": "default"},
            "data": {f"{kurator_name}.config": base64.b64encode(kubeconfig.encode()).decode()},
        }
        apply(fleet, json.dumps(secret))


def test_minimal_backup_then_namespace_restore_into_one_member(
    quickstart: Fleet, tmp_path: Path
) -> None:
    manifest = tmp_path / "busybox.yaml"
    manifest.write_text(BUSYBOX)
    for cluster in MEMBERS.values():
        applied = quickstart.member(cluster, "apply", "-f", str(manifest))
        assert applied.returncode == 0, applied.stderr
    attach_secrets(quickstart)
    apply(quickstart, ATTACHED_CLUSTERS)
    apply(quickstart, FLEET)
    apply(quickstart, BACKUP_MINIMAL)
    wait_until(lambda: phase(quickstart, "backups", "minimal") == "Completed", timeout=60)
    backup = quickstart.json("get", "backups", "minimal", "-n", "default")
    details = {d["clusterName"]: d for d in backup["status"]["backupDetails"]}
    assert sorted(details) == sorted(MEMBERS)
    assert details["kurator-member1"]["backupNameInCluster"] == (
        "kurator-member1-backup-default-minimal"
    )

    for cluster in MEMBERS.values():
        deleted = quickstart.member(cluster, "delete", "namespace", "kurator-backup", "--wait")
        assert deleted.returncode == 0, deleted.stderr
    apply(quickstart, RESTORE_SPECIFIC_NS)
    wait_until(lambda: phase(quickstart, "restores", "specific-ns") == "Completed", timeout=60)

    restored = quickstart.member(
        "member-1", "get", "pvc,pods", "-n", "kurator-backup", "-o", "name"
    )
    assert restored.returncode == 0, restored.stderr
    assert set(restored.stdout.split()) >= {"persistentvolumeclaim/test-pvc", "pod/busybox"}
    untouched = quickstart.member("member-2", "get", "namespace", "kurator-backup")
    assert untouched.returncode != 0 and "NotFound" in untouched.stderr
