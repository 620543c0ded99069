"""Override policies: Karmada's `policy.karmada.io/v1alpha1` OverridePolicy and
ClusterOverridePolicy, and the Kurator articles' `policy.kurator.dev/v1alpha1` OverridePolicy.

The models mirror `pkg/apis/policy/v1alpha1/override_types.go`; the validation mirrors
the CRD schema plus Karmada's admission webhook (`pkg/util/validation.ValidateOverrideSpec`),
so the gateway can answer 422 with the same field paths Karmada would name.
"""

import re
from collections.abc import Mapping
from typing import Any, Final, Literal

from pydantic import Field, ValidationError

from shared.api.affinity import ClusterAffinity, FieldSelector
from shared.api.base import KubeModel
from shared.api.meta import ObjectMeta
from shared.api.propagation import ResourceSelector
from shared.api.validation import FieldError, pydantic_field_errors

KARMADA_POLICY_API_VERSION: Final = "policy.karmada.io/v1alpha1"
KURATOR_POLICY_API_VERSION: Final = "policy.kurator.dev/v1alpha1"

OverriderOperator = Literal["add", "remove", "replace"]
CommandArgsOperator = Literal["add", "remove"]
ImageComponent = Literal["Registry", "Repository", "Tag"]


class PlaintextOverrider(KubeModel):
    """One RFC 6902 operation; `value` absent and `value: null` mean the same, as in Karmada."""

    path: str
    operator: OverriderOperator
    value: Any = None


class ImagePredicate(KubeModel):
    path: str


class ImageOverrider(KubeModel):
    """Without a predicate, every `containers[*].image` of a known workload kind is rewritten."""

    predicate: ImagePredicate | None = None
    component: ImageComponent
    operator: OverriderOperator
    value: str = ""


class CommandArgsOverrider(KubeModel):
    container_name: str
    operator: CommandArgsOperator
    value: list[str] = Field(default_factory=list)


class LabelAnnotationOverrider(KubeModel):
    operator: OverriderOperator
    value: dict[str, str]


class FieldPatchOperation(KubeModel):
    """Karmada's JSONPatchOperation and YAMLPatchOperation, which are the same shape."""

    sub_path: str
    operator: OverriderOperator
    value: Any = None


class FieldOverrider(KubeModel):
    """Patches a string field holding JSON or YAML (e.g. a ConfigMap entry) in place."""

    field_path: str
    json_ops: list[FieldPatchOperation] = Field(default_factory=list, alias="json")
    yaml_ops: list[FieldPatchOperation] = Field(default_factory=list, alias="yaml")


class Overriders(KubeModel):
    plaintext: list[PlaintextOverrider] = Field(default_factory=list)
    image_overrider: list[ImageOverrider] = Field(default_factory=list)
    command_overrider: list[CommandArgsOverrider] = Field(default_factory=list)
    args_overrider: list[CommandArgsOverrider] = Field(default_factory=list)
    labels_overrider: list[LabelAnnotationOverrider] = Field(default_factory=list)
    annotations_overrider: list[LabelAnnotationOverrider] = Field(default_factory=list)
    field_overrider: list[FieldOverrider] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(
            (
                self.plaintext,
                self.image_overrider,
                self.command_overrider,
                self.args_overrider,
                self.labels_overrider,
                self.annotations_overrider,
                self.field_overrider,
            )
        )


class RuleWithCluster(KubeModel):
    """`targetCluster` nil matches every cluster."""

    target_cluster: ClusterAffinity | None = None
    overriders: Overriders


class OverrideSpec(KubeModel):
    """`resourceSelectors` nil or empty selects every resource (unlike a PropagationPolicy)."""

    resource_selectors: list[ResourceSelector] = Field(default_factory=list)
    override_rules: list[RuleWithCluster] = Field(default_factory=list)
    target_cluster: ClusterAffinity | None = None
    overriders: Overriders = Field(default_factory=Overriders)

    def effective_rules(self) -> list[RuleWithCluster]:
        """The deprecated `targetCluster` + `overriders` pair counts only when no rules exist."""
        if self.override_rules:
            return self.override_rules
        return [RuleWithCluster(target_cluster=self.target_cluster, overriders=self.overriders)]

    def rule_field_path(self, index: int) -> str:
        """Where rule `index` of `effective_rules()` was written, for error messages."""
        if self.override_rules:
            return f"spec.overrideRules[{index}]"
        return "spec"


class OverridePolicy(KubeModel):
    api_version: Literal["policy.karmada.io/v1alpha1"] = KARMADA_POLICY_API_VERSION
    kind: Literal["OverridePolicy"] = "OverridePolicy"
    metadata: ObjectMeta
    spec: OverrideSpec


class ClusterOverridePolicy(KubeModel):
    api_version: Literal["policy.karmada.io/v1alpha1"] = KARMADA_POLICY_API_VERSION
    kind: Literal["ClusterOverridePolicy"] = "ClusterOverridePolicy"
    metadata: ObjectMeta
    spec: OverrideSpec


class KuratorOverride(KubeModel):
    """One `{path, value}` entry; `op` defaults to replace so a mistyped path fails loudly
    instead of silently adding a field."""

    path: str
    value: Any = None
    op: OverriderOperator = "replace"


class KuratorOverrideRule(KubeModel):
    target_clusters: ClusterAffinity | None = None
    overrides: list[KuratorOverride] = Field(default_factory=list)


class KuratorOverrideSpec(KubeModel):
    resource_selectors: list[ResourceSelector] = Field(default_factory=list)
    override_rules: list[KuratorOverrideRule] = Field(default_factory=list)


class KuratorOverridePolicy(KubeModel):
    """The Kurator articles' form; Navarch evaluates it as the Karmada OverridePolicy it
    converts to, so both forms share one engine."""

    api_version: Literal["policy.kurator.dev/v1alpha1"] = KURATOR_POLICY_API_VERSION
    kind: Literal["OverridePolicy"] = "OverridePolicy"
    metadata: ObjectMeta
    spec: KuratorOverrideSpec

    def to_karmada(self) -> OverridePolicy:
        rules = [
            RuleWithCluster(
                target_cluster=rule.target_clusters,
                overriders=Overriders(
                    plaintext=[
                        PlaintextOverrider(path=item.path, operator=item.op, value=item.value)
                        for item in rule.overrides
                    ]
                ),
            )
            for rule in self.spec.override_rules
        ]
        return OverridePolicy(
            metadata=self.metadata.model_copy(deep=True),
            spec=OverrideSpec(
                resource_selectors=[s.model_copy(deep=True) for s in self.spec.resource_selectors],
                override_rules=rules,
            ),
        )


AnyOverridePolicy = OverridePolicy | ClusterOverridePolicy | KuratorOverridePolicy


_MODELS_BY_TYPE: dict[tuple[str, str], type[KubeModel]] = {
    (KARMADA_POLICY_API_VERSION, "OverridePolicy"): OverridePolicy,
    (KARMADA_POLICY_API_VERSION, "ClusterOverridePolicy"): ClusterOverridePolicy,
    (KURATOR_POLICY_API_VERSION, "OverridePolicy"): KuratorOverridePolicy,
}


class PolicyValidationError(ValueError):
    """Raised by `parse_override_policy`; `errors` carries every field error found."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{error.path}: {error.message}" for error in errors))
        self.errors = errors


def _model_for(obj: Mapping[str, Any]) -> type[KubeModel] | FieldError:
    api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
    model = _MODELS_BY_TYPE.get((api_version, kind))
    if model is None:
        supported = ", ".join(f"{api}/{name}" for api, name in _MODELS_BY_TYPE)
        return FieldError(
            "kind", f"Unsupported value: {api_version}/{kind}: supported: {supported}"
        )
    return model


def parse_override_policy(obj: Mapping[str, Any]) -> AnyOverridePolicy:
    """Build the model matching `apiVersion`/`kind`, or raise PolicyValidationError."""
    errors = validate_override_policy(obj)
    if errors:
        raise PolicyValidationError(errors)
    model = _model_for(obj)
    assert not isinstance(model, FieldError)
    return model.model_validate(obj)  # type: ignore[return-value]


def validate_override_policy(obj: Mapping[str, Any]) -> list[FieldError]:
    """Every reason the gateway must refuse `obj` (schema first, then Karmada's webhook
    rules); an empty list means it is acceptable."""
    model = _model_for(obj)
    if isinstance(model, FieldError):
        return [model]
    try:
        policy = model.model_validate(obj)
    except ValidationError as error:
        return pydantic_field_errors(error)
    if isinstance(policy, KuratorOverridePolicy):
        return _validate_kurator(policy)
    if isinstance(policy, OverridePolicy):
        return validate_override_spec(policy.spec, policy_namespace=policy.metadata.namespace or "")
    assert isinstance(policy, ClusterOverridePolicy)
    return validate_override_spec(policy.spec, policy_namespace="")


def _validate_kurator(policy: KuratorOverridePolicy) -> list[FieldError]:
    errors = _validate_selectors(
        policy.spec.resource_selectors, policy_namespace=policy.metadata.namespace or ""
    )
    for rule_index, rule in enumerate(policy.spec.override_rules):
        rule_path = f"spec.overrideRules[{rule_index}]"
        errors += _validate_affinity(rule.target_clusters, f"{rule_path}.targetClusters")
        for index, item in enumerate(rule.overrides):
            errors += _validate_patch_path(item.path, f"{rule_path}.overrides[{index}].path")
    return errors


def validate_override_spec(spec: OverrideSpec, *, policy_namespace: str) -> list[FieldError]:
    """Karmada's ValidateOverrideSpec, plus plaintext paths that must be JSON pointers.

    Unlike Karmada, the deprecated `spec.overriders` is checked like a rule and a
    `fieldOverrider` there counts as present, so nothing a user wrote is silently ignored.
    """
    errors: list[FieldError] = []
    rules_given = "override_rules" in spec.model_fields_set
    if spec.target_cluster is not None:
        errors += _validate_affinity(spec.target_cluster, "spec.targetCluster")
        if rules_given:
            errors.append(
                FieldError("spec.targetCluster", "overrideRules and targetCluster can't co-exist")
            )
    if rules_given and not spec.overriders.is_empty():
        errors.append(FieldError("spec.overriders", "overrideRules and overriders can't co-exist"))
    for index, rule in enumerate(spec.override_rules):
        rule_path = f"spec.overrideRules[{index}]"
        errors += _validate_overriders(rule.overriders, f"{rule_path}.overriders")
        errors += _validate_affinity(rule.target_cluster, f"{rule_path}.targetCluster")
    if not spec.override_rules:
        errors += _validate_overriders(spec.overriders, "spec.overriders")
    errors += _validate_selectors(spec.resource_selectors, policy_namespace=policy_namespace)
    return errors


def _validate_selectors(
    selectors: list[ResourceSelector], *, policy_namespace: str
) -> list[FieldError]:
    """A namespaced policy may only select its own namespace (empty is defaulted to it)."""
    if not policy_namespace:
        return []
    return [
        FieldError(
            f"spec.resourceSelectors[{index}].namespace",
            "namespace of resource selector must be the same as the namespace of the policy",
        )
        for index, selector in enumerate(selectors)
        if selector.namespace and selector.namespace != policy_namespace
    ]


def _validate_affinity(affinity: ClusterAffinity | None, path: str) -> list[FieldError]:
    if affinity is None or affinity.field_selector is None:
        return []
    message = _field_selector_problem(affinity.field_selector)
    return [FieldError(f"{path}.fieldSelector", message)] if message else []


def _field_selector_problem(field_selector: FieldSelector) -> str | None:
    for requirement in field_selector.match_expressions:
        if requirement.key not in ("provider", "region", "zone"):
            return f'unsupported key "{requirement.key}", must be provider, region, or zone'
        if requirement.operator not in ("In", "NotIn"):
            return f'unsupported operator "{requirement.operator}", must be In or NotIn'
    return None


def _json_pointer_problem(pointer: str) -> str | None:
    """go-openapi/jsonpointer.New: empty (the whole document) or starting with `/`."""
    if pointer and not pointer.startswith("/"):
        return 'JSON pointer must be empty or start with a "/"'
    return None


def _validate_patch_path(path: str, field_path: str) -> list[FieldError]:
    """A patch target must be a JSON pointer below the root: Karmada fails later otherwise."""
    if not path.startswith("/"):
        return [FieldError(field_path, 'must be a JSON pointer starting with "/"')]
    return []


def _validate_overriders(overriders: Overriders, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    for index, item in enumerate(overriders.annotations_overrider):
        errors += _validate_annotations(item.value, f"{path}.annotationsOverrider[{index}].value")
    for index, item in enumerate(overriders.labels_overrider):
        errors += _validate_labels(item.value, f"{path}.labelsOverrider[{index}].value")
    for index, image in enumerate(overriders.image_overrider):
        if image.predicate is not None:
            problem = _json_pointer_problem(image.predicate.path)
            if problem:
                errors.append(FieldError(f"{path}.imageOverrider[{index}].predicate.path", problem))
    for index, field in enumerate(overriders.field_overrider):
        errors += _validate_field_overrider(field, f"{path}.fieldOverrider[{index}]")
    for index, plaintext in enumerate(overriders.plaintext):
        errors += _validate_patch_path(plaintext.path, f"{path}.plaintext[{index}].path")
    return errors


def _validate_field_overrider(field: FieldOverrider, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if field.yaml_ops and field.json_ops:
        errors.append(
            FieldError(path, "FieldOverrider has both YAML and JSON set. Only one is allowed")
        )
    if not field.yaml_ops and not field.json_ops:
        errors.append(FieldError(path, "FieldOverrider must have either JSON or YAML set"))
    problem = _json_pointer_problem(field.field_path)
    if problem:
        errors.append(FieldError(f"{path}.fieldPath", problem))
    for name, operations in (("json", field.json_ops), ("yaml", field.yaml_ops)):
        for index, operation in enumerate(operations):
            operation_path = f"{path}.{name}[{index}]"
            problem = _json_pointer_problem(operation.sub_path)
            if problem:
                errors.append(FieldError(f"{operation_path}.subPath", problem))
            if operation.operator in ("add", "replace") and operation.value is None:
                errors.append(
                    FieldError(
                        f"{operation_path}.value", "value is required for add or replace operation"
                    )
                )
            if operation.operator == "remove" and operation.value is not None:
                errors.append(
                    FieldError(
                        f"{operation_path}.value", "value is not allowed for remove operation"
                    )
                )
    return errors


_QUALIFIED_NAME_RE = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS1123_SUBDOMAIN_RE = re.compile(
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
)
_QUALIFIED_NAME_MAX = 63
_DNS1123_SUBDOMAIN_MAX = 253
_LABEL_VALUE_MAX = 63
_ANNOTATIONS_TOTAL_MAX = 256 * 1024
_NAME_RULE = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character"
)


def _qualified_name_problems(value: str) -> list[str]:
    """apimachinery's IsQualifiedName: `[dns-subdomain/]name`, name at most 63 characters."""
    parts = value.split("/")
    if len(parts) > 2:
        return [
            f"a qualified name {_NAME_RULE}, with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')"
        ]
    problems: list[str] = []
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            problems.append("prefix part must be non-empty")
        elif len(prefix) > _DNS1123_SUBDOMAIN_MAX:
            problems.append(f"prefix part must be no more than {_DNS1123_SUBDOMAIN_MAX} characters")
        elif not _DNS1123_SUBDOMAIN_RE.fullmatch(prefix):
            problems.append(
                "prefix part a lowercase RFC 1123 subdomain must consist of lower case "
                "alphanumeric characters, '-' or '.', and must start and end with an "
                "alphanumeric character"
            )
    if not name:
        problems.append("name part must be non-empty")
    elif len(name) > _QUALIFIED_NAME_MAX:
        problems.append(f"name part must be no more than {_QUALIFIED_NAME_MAX} characters")
    if name and not _QUALIFIED_NAME_RE.fullmatch(name):
        problems.append(f"name part {_NAME_RULE}")
    return problems


def _validate_labels(labels: dict[str, str], path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    for key, value in labels.items():
        errors += [FieldError(path, f"{key!r}: {p}") for p in _qualified_name_problems(key)]
        if len(value) > _LABEL_VALUE_MAX:
            errors.append(
                FieldError(path, f"{value!r}: must be no more than {_LABEL_VALUE_MAX} characters")
            )
        if value and not _QUALIFIED_NAME_RE.fullmatch(value):
            errors.append(FieldError(path, f"{value!r}: a valid label value {_NAME_RULE}"))
    return errors


def _validate_annotations(annotations: dict[str, str], path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    for key in annotations:
        errors += [FieldError(path, f"{key!r}: {p}") for p in _qualified_name_problems(key.lower())]
    total = sum(len(key.encode()) + len(value.encode()) for key, value in annotations.items())
    if total > _ANNOTATIONS_TOTAL_MAX:
        errors.append(FieldError(path, f"may not be more than {_ANNOTATIONS_TOTAL_MAX} bytes"))
    return errors
