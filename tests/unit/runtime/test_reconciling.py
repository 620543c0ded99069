"""The reconcile runner: de-duplication, no concurrent runs per key, backoff, drain.

Loop time is fake (`looptime`): delays and backoff gaps are exact, whatever the machine's
load, and the tests take no real time for them.
"""

import asyncio
import itertools

import pytest

from shared.runtime.reconciling import ReconcileRunner, Requeue

pytestmark = pytest.mark.looptime


async def test_duplicate_enqueues_collapse_and_keys_never_run_concurrently() -> None:
    running: set[str] = set()
    calls: list[str] = []
    overlap = False
    release = asyncio.Event()

    async def reconcile(key: str) -> None:
        nonlocal overlap
        overlap = overlap or key in running
        running.add(key)
        calls.append(key)
        await release.wait()
        running.discard(key)

    runner: ReconcileRunner[str] = ReconcileRunner("dedup", reconcile, workers=4)
    runner.start()
    for _ in range(5):
        runner.enqueue("a")
    await asyncio.sleep(0.01)
    for _ in range(5):
        runner.enqueue("a")
    runner.enqueue("b")
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.wait_for(runner.wait_idle(), 2)
    await runner.drain()
    assert not overlap
    assert sorted(calls) == ["a", "a", "b"], "one run, one re-run for changes during it"


async def test_failures_back_off_exponentially_then_succeed() -> None:
    attempts: list[float] = []

    async def reconcile(key: str) -> None:
        attempts.append(asyncio.get_running_loop().time())
        if len(attempts) < 4:
            raise RuntimeError("member unreachable")

    runner: ReconcileRunner[str] = ReconcileRunner(
        "backoff", reconcile, workers=1, base_backoff=0.02, max_backoff=0.05
    )
    runner.start()
    runner.enqueue("x")
    await asyncio.wait_for(runner.wait_idle(), 2)
    await runner.drain()
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert len(attempts) == 4
    assert gaps[0] >= 0.015 and gaps[1] >= 0.035 and gaps[2] >= 0.045
    assert gaps[2] < 0.5, "the cap holds"
    assert gaps == pytest.approx([0.02, 0.04, 0.05]), "doubling from the base, then capped"
    assert runner.backoff_for("x") == 0.0, "success forgets failures"


async def test_requeue_after_runs_again_without_failure() -> None:
    calls = 0

    async def reconcile(key: str) -> Requeue | None:
        nonlocal calls
        calls += 1
        return Requeue(after=0.01) if calls < 3 else None

    runner: ReconcileRunner[str] = ReconcileRunner("requeue", reconcile)
    runner.start()
    runner.enqueue("k")
    await asyncio.wait_for(runner.wait_idle(), 2)
    await runner.drain()
    assert calls == 3


async def test_drain_lets_in_flight_work_finish_and_refuses_new_work() -> None:
    finished: list[str] = []
    started = asyncio.Event()

    async def reconcile(key: str) -> None:
        started.set()
        await asyncio.sleep(0.05)
        finished.append(key)

    runner: ReconcileRunner[str] = ReconcileRunner("drain", reconcile, workers=1)
    runner.start()
    runner.enqueue("in-flight")
    runner.enqueue("queued")
    await started.wait()
    await runner.drain(timeout=2)
    runner.enqueue("late")
    await asyncio.sleep(0.01)
    assert finished == ["in-flight"]


async def test_a_cancelled_worker_stops_even_when_its_reconcile_swallowed_the_cancel() -> None:
    """`asyncio.wait_for` (nats' requests use it) can swallow a cancellation that races its
    result on Python 3.11; the worker must still end after that reconcile, or a killed
    service goes on reconciling (a cancelled task kept taking keys forever)."""
    entered = asyncio.Event()
    finished: list[str] = []

    async def reconcile(key: str) -> None:
        entered.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass  # what the racing wait_for does: the result wins, the cancel is lost
        finished.append(key)

    runner: ReconcileRunner[str] = ReconcileRunner("swallowed", reconcile, workers=1)
    runner.start()
    runner.enqueue("a")
    await entered.wait()
    workers = [t for t in asyncio.all_tasks() if t.get_name().startswith("runner/swallowed/")]
    assert len(workers) == 1
    for task in workers:
        task.cancel()
    done, pending = await asyncio.wait(workers, timeout=1.0)
    assert not pending, "the worker went back to its queue after the cancel"
    assert finished == ["a"] and all(task.cancelled() for task in done)
    runner.enqueue("b")
    await asyncio.sleep(0.1)
    assert finished == ["a"], "nothing runs after the cancel"
