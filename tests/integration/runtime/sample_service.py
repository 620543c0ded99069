"""A minimal service for runtime tests: it caches ConfigMaps and answers how many it knows.

A message on HANG_SUBJECT blocks its event loop, as a CPU-bound bug would.
"""

import time

import orjson
from nats.aio.msg import Msg

from shared.api.resources import ResourceType
from shared.runtime.informing import Informer
from shared.runtime.service import Service, ServiceContext, run

CONFIGMAPS = ResourceType(
    group="", version="v1", plural="configmaps", kind="ConfigMap", status_subresource=False
)
COUNT_SUBJECT = "navarch.test.sample.count"
HANG_SUBJECT = "navarch.test.sample.hang"
HANG_S = 3600.0


class SampleService(Service):
    name = "sample"

    def __init__(self) -> None:
        self._configmaps: Informer | None = None

    async def start(self, context: ServiceContext) -> None:
        self._configmaps = context.informer(CONFIGMAPS)
        await context.bus.subscribe(COUNT_SUBJECT, lambda msg: self._count(context, msg))
        await context.bus.subscribe(HANG_SUBJECT, self._hang)

    async def _hang(self, _: Msg) -> None:
        time.sleep(HANG_S)  # noqa: ASYNC251 - blocking the loop is the point

    async def _count(self, context: ServiceContext, msg: Msg) -> None:
        known = len(self._configmaps) if self._configmaps else 0
        await context.bus.client.publish(msg.reply, orjson.dumps({"configmaps": known}))

    async def stop(self) -> None:
        return None


if __name__ == "__main__":
    run(SampleService())
