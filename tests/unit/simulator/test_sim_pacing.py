"""A cluster's time slice: its controllers yield only once the slice is used up."""

import asyncio

from services.simulator.pacing import Pacer


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_work_within_the_slice_does_not_yield() -> None:
    clock = FakeClock()
    pacer = Pacer(slice_s=0.005, clock=clock)
    for _ in range(1_000):
        await pacer.pace()
    assert pacer.yields == 0


async def test_a_used_up_slice_lets_every_other_task_run_first() -> None:
    clock = FakeClock()
    pacer = Pacer(slice_s=0.005, clock=clock)
    ran: list[str] = []

    async def other_cluster() -> None:
        ran.append("other")

    other = asyncio.get_running_loop().create_task(other_cluster())
    clock.now += 0.004
    await pacer.pace()
    assert ran == [] and pacer.yields == 0
    clock.now += 0.002
    await pacer.pace()
    assert ran == ["other"] and pacer.yields == 1
    await other


async def test_one_slice_is_shared_by_all_of_a_clusters_controllers() -> None:
    """Once one controller used the slice, another yields at its first unit of work."""
    clock = FakeClock()
    pacer = Pacer(slice_s=0.005, clock=clock)
    clock.now += 0.006
    first = asyncio.get_running_loop().create_task(pacer.pace())
    second = asyncio.get_running_loop().create_task(pacer.pace())
    await asyncio.gather(first, second)
    assert pacer.yields == 2
    await pacer.pace()
    assert pacer.yields == 2, "the slice starts again when the cluster resumes"
