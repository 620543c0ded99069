"""Kurator's Cluster in both forms: Kurator's own comes back unchanged, the article's maps."""

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from shared.api.kurator_cluster import (
    KuratorCluster,
    kurator_form,
    pool_name,
    with_pool_replicas,
)
from shared.api.validation import pydantic_field_errors

REPO = Path(__file__).resolve().parents[3]
ARTICLE_EXAMPLES = [
    REPO / "examples" / "12-cluster-lifecycle.yaml",
    Path("/work/shared/examples/12-cluster-lifecycle.yaml"),
]

# kurator-dev/kurator examples/cluster/quickstart.yaml
KURATOR_QUICKSTART = """
apiVersion: cluster.kurator.dev/v1alpha1
kind: Cluster
metadata:
  name: quickstart
  namespace: default
spec:
  infraType: aws
  credential:
    secretRef: quickstart
  version: v1.23.0
  region: us-east-1
  network:
    vpc:
      cidrBlock: 10.10.0.0/16
    podCIDRs:
      - 192.168.0.0/16
    serviceCIDRs:
      - 10.96.0.0/12
    cni:
      type: calico
  master:
    replicas: 1
    instanceType: t3.large
    nonRootVolumes:
      - size: 10
        type: gp2
    rootVolumeSize:
      size: 10
      type: gp3
  workers:
    - replicas: 1
      instanceType: t3.large
      nonRootVolumes:
        - size: 10
          type: gp3
      rootVolumeSize:
        size: 10
        type: gp2
"""

ROLLING_WORKERS = """
apiVersion: cluster.kurator.dev/v1alpha1
kind: Cluster
metadata: {name: rolling, namespace: default}
spec:
  infraType: aws
  version: v1.24.0
  region: us-east-1
  network: {vpc: {}, cni: {type: calico}}
  master: {replicas: 3, instanceType: m5.xlarge}
  workers:
    - replicas: 4
      instanceType: m5.large
      labels: {tier: web}
      taints: [{key: dedicated, value: web, effect: NoSchedule}]
      strategy:
        type: RollingUpdate
        rollingUpdate: {maxSurge: "25%", maxUnavailable: 1, deletePolicy: Oldest}
    - replicas: 1
      instanceType: p3.2xlarge
  podIdentity: {enabled: true}
  additionalResources: [{name: extra, kind: ConfigMap}]
status:
  phase: Ready
  apiEndpoint: https://10.0.0.1:6443
  kubeconfigSecretRef: rolling-kubeconfig
  conditions:
    - {type: InfrastructureReady, status: "True", severity: ""}
    - {type: Ready, status: "True"}
"""


def _load(text: str) -> KuratorCluster:
    return KuratorCluster.model_validate(yaml.safe_load(text))


@pytest.mark.parametrize("path", ARTICLE_EXAMPLES, ids=["main", "shared"])
def test_the_article_example_parses_and_maps_onto_kuratorss_fields(path: Path) -> None:
    cluster = KuratorCluster.model_validate(yaml.safe_load(path.read_text()))
    assert cluster.article_form
    mapped = kurator_form(cluster)
    spec = mapped.spec
    assert (spec.infra_type, spec.region, spec.version) == ("aws", "us-west-2", "1.25")
    assert [(w.replicas, w.instance_type) for w in spec.workers] == [(5, "m5.large")]
    assert spec.master is not None
    assert (spec.master.replicas, spec.master.instance_type) == (1, "m5.large")
    assert spec.pod_identity is not None and spec.pod_identity.enabled
    assert spec.network is not None
    assert spec.network.pod_cidrs == ["192.168.0.0/16"]
    assert spec.network.service_cidrs == ["10.96.0.0/12"]
    assert spec.network.vpc.cidr_block == "10.0.0.0/16"
    wire = mapped.to_dict()["spec"]
    assert "infrastructure" not in wire and "workerNodes" not in wire
    assert wire["workers"][0]["imageOS"] == "ubuntu-20.04"
    assert not mapped.article_form
    assert kurator_form(mapped) == mapped


@pytest.mark.parametrize(
    "text", [KURATOR_QUICKSTART, ROLLING_WORKERS], ids=["quickstart", "rolling"]
)
def test_kuratorss_form_comes_back_exactly(text: str) -> None:
    cluster = _load(text)
    assert not cluster.article_form
    assert kurator_form(cluster).to_dict() == cluster.to_dict()


def test_kuratorss_wire_names_and_crd_defaults() -> None:
    wire = _load(KURATOR_QUICKSTART).to_dict()["spec"]
    assert wire["network"]["podCIDRs"] == ["192.168.0.0/16"]
    assert wire["network"]["vpc"]["cidrBlock"] == "10.10.0.0/16"
    assert wire["master"]["rootVolumeSize"] == {"type": "gp3", "size": 10}
    assert wire["master"]["imageOS"] == "ubuntu-20.04"
    assert wire["credential"] == {"secretRef": "quickstart"}


def test_rolling_strategy_status_and_readiness() -> None:
    cluster = _load(ROLLING_WORKERS)
    web, gpu = cluster.spec.workers
    assert web.strategy is not None and web.strategy.rolling_update is not None
    assert web.strategy.rolling_update.max_surge == "25%"
    assert web.strategy.rolling_update.max_unavailable == 1
    assert web.delete_policy() == "Oldest"
    assert gpu.delete_policy() == "Newest"
    assert web.taints[0].describe() == "{dedicated=web:NoSchedule}"
    assert cluster.is_ready()
    ready = cluster.condition("InfrastructureReady")
    assert ready is not None and ready.status == "True"
    assert cluster.status.kubeconfig_secret_ref == "rolling-kubeconfig"
    assert pool_name(cluster.name, 1) == "rolling-md-1"


def _errors(document: dict[str, object]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        KuratorCluster.model_validate(document)
    return [(error.path, error.message) for error in pydantic_field_errors(caught.value)]


def _article(**spec: object) -> dict[str, object]:
    base: dict[str, object] = {
        "infrastructure": {"cloudProvider": "aws", "region": "us-west-2", "version": "1.25"},
        "workerNodes": {"count": 5, "instanceType": "m5.large"},
    }
    return {"metadata": {"name": "c", "namespace": "default"}, "spec": {**base, **spec}}


@pytest.mark.parametrize(
    ("spec", "path", "fragment"),
    [
        (
            {"region": "eu-west-1"},
            "spec.infrastructure",
            "region 'us-west-2' contradicts spec.region",
        ),
        (
            {"infraType": "gcp"},
            "spec.infrastructure",
            "cloudProvider 'aws' contradicts spec.infraType",
        ),
        (
            {"workers": [{"replicas": 1, "instanceType": "m5.large"}]},
            "spec.workerNodes",
            "may not be set together with spec.workers",
        ),
        ({"workerNodes": {"count": -1, "instanceType": "m5.large"}}, "spec.workerNodes.count", ""),
        ({"workerNodes": {"count": 1}}, "spec.workerNodes.instanceType", "Required value"),
    ],
)
def test_bad_article_input_names_the_field(
    spec: dict[str, object], path: str, fragment: str
) -> None:
    errors = _errors(_article(**spec))
    assert [found for found, _ in errors] == [path]
    assert fragment in errors[0][1]


def test_agreeing_forms_are_accepted() -> None:
    cluster = KuratorCluster.model_validate(_article(region="us-west-2", version="1.25"))
    assert kurator_form(cluster).spec.region == "us-west-2"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("25", "a valid percent string must be a numeric string followed by an ending '%'"),
        ("-5%", "a valid percent string"),
        (-1, "must be greater than or equal to 0"),
        (True, "must be an integer or percentage"),
    ],
)
def test_rolling_update_values_are_int_or_percent(value: object, message: str) -> None:
    worker = {
        "replicas": 2,
        "instanceType": "m5.large",
        "strategy": {"rollingUpdate": {"maxSurge": value}},
    }
    errors = _errors({"metadata": {"name": "c"}, "spec": {"workers": [worker]}})
    assert errors[0][0] == "spec.workers[0].strategy.rollingUpdate.maxSurge"
    assert message in errors[0][1]


def test_unknown_delete_policy_is_unsupported() -> None:
    worker = {
        "replicas": 2,
        "instanceType": "m5.large",
        "strategy": {"rollingUpdate": {"deletePolicy": "Largest"}},
    }
    errors = _errors({"metadata": {"name": "c"}, "spec": {"workers": [worker]}})
    assert errors[0][0] == "spec.workers[0].strategy.rollingUpdate.deletePolicy"
    assert errors[0][1].startswith('Unsupported value: "Largest"')


def test_resizing_writes_the_form_the_author_used() -> None:
    article = KuratorCluster.model_validate(_article())
    resized = with_pool_replicas(article, pool=0, replicas=7)
    assert resized.to_dict()["spec"]["workerNodes"]["count"] == 7
    assert "workers" not in resized.to_dict()["spec"] or not resized.spec.workers
    assert article.spec.worker_nodes is not None and article.spec.worker_nodes.count == 5
    kurator = _load(ROLLING_WORKERS)
    resized = with_pool_replicas(kurator, pool=1, replicas=3)
    assert [w.replicas for w in resized.spec.workers] == [4, 3]
    with pytest.raises(IndexError, match=r"spec.workers\[2\]"):
        with_pool_replicas(kurator, pool=2, replicas=1)
