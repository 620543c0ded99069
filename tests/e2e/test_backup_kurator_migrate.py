"""Kurator's `examples/backup/migrate-select-labels.yaml` applied unchanged to `navarch up`:
the busybox demo's `app: busybox` objects move from kurator-member1 to kurator-member2, and
nothing else does."""

from pathlib import Path

from conftest import Fleet, wait_until
from test_backup_kurator_examples import ATTACHED_CLUSTERS, FLEET, apply, attach_secrets, phase
from test_backup_kurator_examples import quickstart as quickstart

BUSYBOX_DEMO = """\
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
  labels:
    app: busybox
spec:
  automountServiceAccountToken: false
  hostIPC: true
  containers:
    - name: busybox
      image: busybox:1.35
      args:
        - sleep
        - 1d
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: kurator-backup-claim
  namespace: kurator-backup
  labels:
    app: busybox-with-pv
spec:
  storageClassName: kurator-backup-local
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: 1Gi
"""
MIGRATE_SELECT_LABELS = """\
apiVersion: backup.kurator.dev/v1alpha1
kind: Migrate
metadata:
  name: select-labels
  namespace: default
spec:
  sourceCluster:
    fleet: quickstart
    clusters:
      - kind: AttachedCluster
        name: kurator-member1
  targetCluster:
    fleet: quickstart
    clusters:
      - kind: AttachedCluster
        name: kurator-member2
  policy:
    resourceFilter:
      labelSelector:
        matchLabels:
          app: busybox
"""


def test_migrate_by_label_moves_the_workload_to_the_other_member(
    quickstart: Fleet,
    tmp_path: Path,
) -> None:
    manifest = tmp_path / "busybox.yaml"
    manifest.write_text(BUSYBOX_DEMO)
    applied = quickstart.member("member-1", "apply", "-f", str(manifest))
    assert applied.returncode == 0, applied.stderr
    attach_secrets(quickstart)
    apply(quickstart, ATTACHED_CLUSTERS)
    apply(quickstart, FLEET)
    apply(quickstart, MIGRATE_SELECT_LABELS)

    terminal = ("Completed", "Failed", "FailedValidation")
    wait_until(lambda: phase(quickstart, "migrates", "select-labels") in terminal, timeout=60)
    migrate = quickstart.json("get", "migrates", "select-labels", "-n", "default")
    status = migrate["status"]
    assert status["phase"] == "Completed", status
    assert status["sourceClusterStatus"]["backupNameInCluster"] == (
        "kurator-member1-migrate-default-select-labels"
    )
    [target] = status["targetClusterStatus"]
    assert target["clusterName"] == "kurator-member2"
    assert target["restoreStatusInCluster"]["phase"] == "Completed"
    assert [c["type"] for c in status["conditions"]] == ["sourceReady"]

    moved = quickstart.member("member-2", "get", "pods", "-n", "kurator-backup", "-o", "name")
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.split() == ["pod/busybox"]
    left_out = quickstart.member("member-2", "get", "pvc", "-n", "kurator-backup", "-o", "name")
    assert left_out.returncode == 0 and left_out.stdout.strip() == ""
    kept = quickstart.member("member-1", "get", "pod", "busybox", "-n", "kurator-backup")
    assert kept.returncode == 0, kept.stderr
