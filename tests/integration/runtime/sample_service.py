"""The controller kit's documented example: a whole service in a few lines.

ConfigMaps labelled `sample.navarch.dev/count-keys: "true"` get an annotation saying how
many data keys they hold. The service declares an informer, a reconciler and what wakes
it; the kit syncs the cache before the first reconcile, remembers the service's own
writes (their echoes wake nothing), retries conflicts and drains on SIGTERM. It also
answers `navarch.test.sample.count` with the number of ConfigMaps it knows, and a message
on HANG_SUBJECT blocks its event loop, as a CPU-bound bug would (liveness tests).
"""

import time

import orjson
from nats.aio.msg import Msg

from shared.api.resources import ResourceType
from shared.runtime.controllers import Controllers, ControllerService
from shared.runtime.informing import Informer, ObjectKey
from shared.runtime.service import run
from shared.store.objects import Object

CONFIGMAPS = ResourceType(
    group="", version="v1", plural="configmaps", kind="ConfigMap", status_subresource=False
)
COUNT_SUBJECT = "navarch.test.sample.count"
HANG_SUBJECT = "navarch.test.sample.hang"
HANG_S = 3600.0
SELECTED_LABEL = "sample.navarch.dev/count-keys"
KEYS_ANNOTATION = "sample.navarch.dev/keys"


def with_key_count(configmap: Object) -> Object | None:
    """The ConfigMap annotated with its key count; None when already right (pure)."""
    count = str(len(configmap.get("data") or {}))
    annotations = configmap["metadata"].get("annotations") or {}
    if annotations.get(KEYS_ANNOTATION) == count:
        return None
    metadata = {**configmap["metadata"], "annotations": {**annotations, KEYS_ANNOTATION: count}}
    return {**configmap, "metadata": metadata}


class SampleService(ControllerService):
    name = "sample"

    def __init__(self) -> None:
        super().__init__()
        self._configmaps: Informer | None = None
        self.writes = 0

    async def declare(self, controllers: Controllers) -> None:
        self._configmaps = controllers.informer(CONFIGMAPS)
        runner = controllers.reconciler("sample", self.reconcile, workers=2)
        controllers.wake(self._configmaps, runner, skip_own_writes=True)
        bus = controllers.context.bus
        await bus.subscribe(COUNT_SUBJECT, lambda msg: self._count(controllers, msg))
        await bus.subscribe(HANG_SUBJECT, self._hang)

    async def reconcile(self, key: ObjectKey) -> None:
        assert self.controllers is not None and self._configmaps is not None
        configmap = self.controllers.fresh(self._configmaps, *key)
        if (
            configmap is None
            or (configmap["metadata"].get("labels") or {}).get(SELECTED_LABEL) != "true"
        ):
            return
        if await self.controllers.writer.change(CONFIGMAPS, configmap, with_key_count):
            self.writes += 1

    async def _hang(self, _: Msg) -> None:
        time.sleep(HANG_S)  # noqa: ASYNC251 - blocking the loop is the point

    async def _count(self, controllers: Controllers, msg: Msg) -> None:
        known = len(self._configmaps) if self._configmaps else 0
        await controllers.context.bus.client.publish(
            msg.reply, orjson.dumps({"configmaps": known, "writes": self.writes})
        )


if __name__ == "__main__":
    run(SampleService())
