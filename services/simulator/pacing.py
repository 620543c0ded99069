"""One cluster's fair share of the simulator's event loop.

Every simulated cluster runs on the same asyncio loop, and the in-memory store answers
without ever suspending, so a controller creating thousands of pods would keep the loop
to itself and starve every other cluster's API (issue 13). Each cluster's controllers
call `pace()` between units of work; once the cluster has worked for a time slice since
it last yielded, the caller yields, and every other ready task (other clusters' requests
and controllers) runs before the cluster goes on. The slice is shared by all of one
cluster's controllers, so a busy cluster with many busy controllers still gets one slice
per loop turn, like any quiet cluster.
"""

import asyncio
import time
from collections.abc import Callable

DEFAULT_SLICE_S = 0.005
"""Work a cluster does before the others get their turn: short against a 1.5 s probe."""


class Pacer:
    def __init__(
        self, *, slice_s: float = DEFAULT_SLICE_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._slice_s = slice_s
        self._clock = clock
        self._resumed = clock()
        self.yields = 0

    async def pace(self) -> None:
        """Yield to the loop when this cluster has used up its slice since it last yielded."""
        if self._clock() - self._resumed < self._slice_s:
            return
        self.yields += 1
        await asyncio.sleep(0)
        self._resumed = self._clock()
