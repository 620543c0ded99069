"""Which API resources a member serves: the pure stand-in for Velero's discovery helper.

Velero resolves every resource a user names (`deployments`, `deploy`, `deployments.apps`,
`volumesnapshotclass.snapshot.storage.k8s.io`) through a RESTMapper built from discovery, and
then speaks in group-resource strings: `pods` for the core group, `deployments.apps` otherwise.
The later service fills a catalog from each member's discovery; these cores only read it.
"""

from pydantic import Field

from shared.api.base import KubeModel


class APIResource(KubeModel):
    """One served resource at its preferred version (metav1.APIResource plus group/version)."""

    name: str
    singular_name: str = ""
    short_names: list[str] = Field(default_factory=list)
    group: str = ""
    version: str = "v1"
    kind: str
    namespaced: bool

    @property
    def group_resource(self) -> str:
        """schema.GroupResource.String(): `pods`, `deployments.apps`."""
        return f"{self.name}.{self.group}" if self.group else self.name

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


def parse_group_resource(text: str) -> tuple[str, str]:
    """schema.ParseGroupResource: `deployments.apps` -> (`deployments`, `apps`)."""
    resource, _, group = text.partition(".")
    return resource, group


class ResourceCatalog(KubeModel):
    """The served resources in discovery order (core first, then groups by priority)."""

    resources: list[APIResource] = Field(default_factory=list)

    def resolve(self, text: str) -> APIResource | None:
        """The RESTMapper's ResourceFor: plural, singular or short name; an empty group is any.

        The first match in discovery order wins, as Kubernetes' PriorityRESTMapper does.
        """
        resource, group = parse_group_resource(text.strip().lower())
        for candidate in self.resources:
            if group and candidate.group != group:
                continue
            names = {candidate.name, candidate.singular_name or candidate.kind.lower()}
            if resource in names or resource in candidate.short_names:
                return candidate
        return None

    def canonical(self, text: str) -> str:
        """The group-resource string Velero compares against; unresolvable names stay as given.

        Keeping an unresolved name is Velero's choice (vmware-tanzu/velero#2461): otherwise a
        list of unknown includes would collapse to "include everything".
        """
        found = self.resolve(text)
        return found.group_resource if found else text

    def by_group_resource(self, group_resource: str) -> APIResource | None:
        for candidate in self.resources:
            if candidate.group_resource == group_resource:
                return candidate
        return None
