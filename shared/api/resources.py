"""What identifies a collection of objects: group, version, plural, kind, scope."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ResourceType:
    """One REST collection, e.g. `deployments.apps`; objects are stored under its plural.group."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    status_subresource: bool = True
    singular: str = ""
    short_names: tuple[str, ...] = field(default_factory=tuple)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """`deployments.apps`, or `pods` for the core group: the name Kubernetes errors use."""
        return f"{self.plural}.{self.group}" if self.group else self.plural
