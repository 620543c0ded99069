"""The template kinds the scheduler watches: one informer per kind a policy or binding names.

A kind is known when the hub registry resolves it; a kind whose CustomResourceDefinition
does not exist yet waits as pending and is watched once a CRD makes it resolvable. These
informers are declared while the service runs, so reconciles check `synced` on them.
"""

from collections.abc import Callable

from services.scheduler.resources import ResourceResolver
from shared.api.resources import ResourceType
from shared.placement.matching import SKIPPED_GROUPS
from shared.runtime.informing import Informer, InformerEvent

DeclareInformer = Callable[[ResourceType], Informer]
TemplateHandler = Callable[[ResourceType, InformerEvent], None]


def group_of(api_version: str) -> str:
    return api_version.split("/")[0] if "/" in api_version else ""


class TemplateKinds:
    """Resolves kinds and owns the template informers, declared on first want."""

    def __init__(
        self,
        *,
        resolver: ResourceResolver,
        declare: DeclareInformer,
        on_template: TemplateHandler,
    ) -> None:
        self._resolver = resolver
        self._declare = declare
        self._on_template = on_template
        self._informers: dict[ResourceType, Informer] = {}
        self.pending: set[tuple[str, str]] = set()

    def resolve(self, api_version: str, kind: str) -> ResourceType | None:
        return self._resolver.resolve(api_version, kind)

    def want(self, api_version: str, kind: str) -> None:
        """Watch the templates of a kind (once its collection is known; never skipped groups)."""
        if group_of(api_version) in SKIPPED_GROUPS:
            return
        resource = self._resolver.resolve(api_version, kind)
        if resource is None:
            self.pending.add((api_version, kind))
            return
        self.pending.discard((api_version, kind))
        self.watch(resource)

    def watch(self, resource: ResourceType) -> Informer:
        informer = self._informers.get(resource)
        if informer is None:
            informer = self._declare(resource)
            informer.add_handler(lambda event: self._on_template(resource, event))
            self._informers[resource] = informer
        return informer

    def informer(self, resource: ResourceType) -> Informer | None:
        return self._informers.get(resource)

    def watched(self) -> dict[ResourceType, Informer]:
        return dict(self._informers)

    def retry_pending(self) -> None:
        """A CRD changed: kinds that policies selected before it existed may resolve now."""
        for api_version, kind in list(self.pending):
            self.want(api_version, kind)
