"""Karmada's permanent ids: every policy and binding carries one UUID label for life.

Karmada's mutating webhooks write them at admission (`pkg/webhook/propagationpolicy`,
`clusterpropagationpolicy`, `resourcebinding`, `clusterresourcebinding`, `mutating.go`)
and the detector finds policies' bindings by them. Navarch's scheduler writes them: a
policy without its id gets one from its own event, and before it claims anything (a
template's claim label is the policy's id); a binding gets one when it is created.
"""

import logging
import uuid
from collections.abc import Callable, Mapping
from functools import partial

from services.scheduler.binding_sync import with_label
from services.scheduler.detecting import PolicySource, permanent_id_label
from shared.runtime.controllers import Controllers
from shared.runtime.informing import Informer
from shared.store.objects import Object

log = logging.getLogger(__name__)

PolicyKey = tuple[PolicySource, str, str]
"""(policy source, namespace or "" for cluster scope, name)."""
NewId = Callable[[], str]


def new_permanent_id() -> str:
    """`uuid.New().String()`, as Karmada's webhooks write it."""
    return str(uuid.uuid4())


class PolicyIds:
    """Writes a missing permanent id onto a policy, once, whoever asks first."""

    def __init__(
        self,
        *,
        controllers: Controllers,
        informers: Mapping[PolicySource, Informer],
        new_id: NewId = new_permanent_id,
    ) -> None:
        self._controllers = controllers
        self._informers = dict(informers)
        self._new_id = new_id

    def needs_id(self, source: PolicySource, obj: Object) -> bool:
        labels = obj["metadata"].get("labels") or {}
        return not labels.get(permanent_id_label(source))

    async def ensure(self, source: PolicySource, namespace: str, name: str) -> Object | None:
        """The stored policy with its id (written now if missing); None when it is gone.

        Two reconciles racing here agree: the loser's compare-and-set fails, and the stored
        copy it re-reads already carries the winner's id."""
        current = self._controllers.fresh(self._informers[source], namespace or None, name)
        if current is None:
            return None
        change = partial(with_label, label=permanent_id_label(source), value=self._new_id())
        return await self._controllers.writer.ensure(source, current, change)

    async def reconcile(self, key: PolicyKey) -> None:
        source, namespace, name = key
        written = await self.ensure(source, namespace, name)
        if written is None:
            log.debug(
                "policy %s %s/%s is gone before its id was written", source.kind, namespace, name
            )
