"""Objects the hub accepts, one per kind that needs more than metadata: the fuzzer's clean
draws, so some creates succeed and later requests meet stored objects."""

from typing import Any

Object = dict[str, Any]

WEB_POD = {
    "metadata": {"labels": {"app": "web"}},
    "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]},
}
VALID_BODIES: dict[tuple[str, str], Object] = {
    ("", "ConfigMap"): {"data": {"key": "value"}},
    ("", "Secret"): {"stringData": {"password": "s3cret"}},
    ("", "Service"): {"spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}},
    ("", "Pod"): {"spec": WEB_POD["spec"]},
    ("apps", "Deployment"): {
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": WEB_POD}
    },
    ("apps", "StatefulSet"): {
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": WEB_POD}
    },
    ("batch", "Job"): {
        "spec": {"template": {**WEB_POD, "spec": {**WEB_POD["spec"], "restartPolicy": "Never"}}}
    },
    ("policy.karmada.io", "PropagationPolicy"): {
        "spec": {
            "resourceSelectors": [
                {"apiVersion": "apps/v1", "kind": "Deployment", "name": "fuzz-a"}
            ],
            "placement": {"clusterAffinity": {"clusterNames": ["member1"]}},
        }
    },
}
"""Bodies that pass validation, so clean objects get stored and later requests meet them."""
