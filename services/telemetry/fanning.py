"""Ask many members at once, each with its own deadline; a slow or failing one is left out.

The answer never waits longer than the timeout for anyone: what arrived in time is the
answer, the rest is named with the reason (Karmada's adapter logs and drops failing
members the same way, but waits for all of them).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from shared.members.client import MemberError

log = logging.getLogger(__name__)

Result = TypeVar("Result")

NOT_FOUND = 404


@dataclass
class FanOut(Generic[Result]):
    results: dict[str, Result] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    """Cluster -> why it is missing from `results`."""
    not_found: set[str] = field(default_factory=set)
    """Clusters that answered 404: asked and answered, they just do not have it."""


async def _one(
    cluster: str, call: Callable[[str], Awaitable[Result]], *, timeout: float
) -> tuple[str, Result | None, str | None, bool]:
    try:
        async with asyncio.timeout(timeout):
            return cluster, await call(cluster), None, False
    except TimeoutError:
        return cluster, None, f"no answer within {timeout:g}s", False
    except MemberError as error:
        if error.status == NOT_FOUND:
            return cluster, None, None, True
        return cluster, None, error.message, False


async def fan_out(
    clusters: list[str], call: Callable[[str], Awaitable[Result]], *, timeout: float
) -> FanOut[Result]:
    """`call(cluster)` for every cluster concurrently, each cut off after `timeout` seconds."""
    outcome: FanOut[Result] = FanOut()
    answers = await asyncio.gather(*(_one(c, call, timeout=timeout) for c in clusters))
    for cluster, result, failure, missing in answers:
        if missing:
            outcome.not_found.add(cluster)
        elif failure is not None:
            log.warning("member left out", extra={"cluster": cluster, "reason": failure})
            outcome.failures[cluster] = failure
        else:
            outcome.results[cluster] = result  # type: ignore[assignment]
    return outcome
