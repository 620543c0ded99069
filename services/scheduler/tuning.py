"""The article's `KarmadaConfig` tuning knobs (example 13), applied where they make sense.

Only `spec.scheduler.parallelism` has a Navarch meaning: how many bindings are scheduled
concurrently. Every other knob is accepted and reported as ignored in the object's own
status (condition `Applied`, `appliedKnobs`, `ignoredKnobs`), so `kubectl get -o yaml` tells
the user what took effect. With several configs the first by name wins, the others are
reported `Superseded`.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import Any

from services.scheduler.resources import KARMADA_CONFIGS
from shared.runtime.informing import Informer
from shared.runtime.writing import Writer
from shared.store.objects import Object

log = logging.getLogger(__name__)

CONDITION_APPLIED = "Applied"
PARALLELISM_KNOB = "scheduler.parallelism"


class ConcurrencyLimit:
    """An async semaphore whose size can change while work runs (the parallelism knob)."""

    def __init__(self, limit: int) -> None:
        self._limit = max(1, limit)
        self._active = 0
        self._changed = asyncio.Condition()

    @property
    def limit(self) -> int:
        return self._limit

    async def set_limit(self, limit: int) -> None:
        async with self._changed:
            self._limit = max(1, limit)
            self._changed.notify_all()

    async def __aenter__(self) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self._active < self._limit)
            self._active += 1

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        async with self._changed:
            self._active -= 1
            self._changed.notify_all()


@dataclass(frozen=True)
class Knobs:
    """What a config asks for, split into what Navarch applies and what it ignores."""

    parallelism: int | None = None
    applied: dict[str, Any] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        items: list[tuple[str, Any]] = []
        for key in sorted(value):
            items.extend(_flatten(value[key], f"{prefix}.{key}" if prefix else key))
        return items
    return [(prefix, value)] if prefix else []


def read_knobs(config: Object, *, max_parallelism: int) -> Knobs:
    """Every leaf of `spec` as a dotted knob; parallelism must be an integer ≥ 1."""
    parallelism: int | None = None
    applied: dict[str, Any] = {}
    ignored: list[str] = []
    invalid: list[str] = []
    for path, value in _flatten(config.get("spec") or {}):
        if path != PARALLELISM_KNOB:
            ignored.append(path)
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            invalid.append(f"{path}={value!r}")
            continue
        if isinstance(value, bool) or number < 1 or str(number) != str(value).strip():
            invalid.append(f"{path}={value!r}")
            continue
        parallelism = min(number, max_parallelism)
        applied[path] = parallelism
    return Knobs(parallelism, applied, ignored, invalid)


def knob_status(
    knobs: Knobs | None,
    *,
    config: Object,
    active: str,
    requested: int | None,
    now: str,
) -> dict[str, Any]:
    """The status the scheduler reports on a config (`knobs` None: superseded by `active`)."""
    if knobs is None:
        condition = {
            "type": CONDITION_APPLIED,
            "status": "False",
            "reason": "Superseded",
            "message": f"KarmadaConfig {active!r} configures the scheduler (first by name)",
        }
        status: dict[str, Any] = {"appliedKnobs": {}, "ignoredKnobs": []}
    else:
        parts = [f"{k}={v}" for k, v in knobs.applied.items()]
        if (
            requested is not None
            and knobs.parallelism is not None
            and requested > knobs.parallelism
        ):
            parts[-1] += f" (capped from {requested} by NAVARCH_SCHEDULER_MAX_PARALLELISM)"
        message = f"applied: {', '.join(parts) or 'nothing'}"
        if knobs.ignored:
            message += f"; ignored (no meaning in Navarch's scheduler): {', '.join(knobs.ignored)}"
        if knobs.invalid:
            message += f"; invalid: {', '.join(knobs.invalid)}"
        reason = "Applied" if not (knobs.ignored or knobs.invalid) else "PartiallyApplied"
        condition = {
            "type": CONDITION_APPLIED,
            "status": "True" if knobs.applied else "False",
            "reason": reason if knobs.applied else "NothingApplied",
            "message": message,
        }
        status = {"appliedKnobs": knobs.applied, "ignoredKnobs": knobs.ignored + knobs.invalid}
    current = (config.get("status") or {}).get("conditions") or []
    previous = next((c for c in current if c.get("type") == CONDITION_APPLIED), None)
    same = previous is not None and previous.get("status") == condition["status"]
    condition["lastTransitionTime"] = previous.get("lastTransitionTime", now) if same else now
    condition["observedGeneration"] = config["metadata"].get("generation", 1)
    status["conditions"] = [condition]
    return status


def requested_parallelism(config: Object) -> int | None:
    """What a config asks for before the cap: an integer, or None."""
    raw = (config.get("spec") or {}).get("scheduler", {}) or {}
    requested = raw.get("parallelism") if isinstance(raw, dict) else None
    return requested if isinstance(requested, int) else None


def config_with_status(
    config: Object, *, active: str, max_parallelism: int, now: str
) -> Object | None:
    """The config with the status the scheduler reports on it; None when it already does."""
    is_active = config["metadata"]["name"] == active
    status = knob_status(
        read_knobs(config, max_parallelism=max_parallelism) if is_active else None,
        config=config,
        active=active,
        requested=requested_parallelism(config) if is_active else None,
        now=now,
    )
    if config.get("status") == status:
        return None
    return {**config, "status": status}


class TuningReconciler:
    """Applies the active config's parallelism and writes every config's status."""

    def __init__(
        self,
        *,
        writer: Writer,
        informer: Informer,
        limit: ConcurrencyLimit,
        default_parallelism: int,
        max_parallelism: int,
        clock: Callable[[], str],
    ) -> None:
        self._writer = writer
        self._informer = informer
        self._limit = limit
        self._default = default_parallelism
        self._max = max_parallelism
        self._clock = clock

    async def reconcile(self, _key: str) -> None:
        """One key for all configs: which one is active depends on all of them."""
        fresher = self._writer.own_writes.fresher
        cached = [fresher(KARMADA_CONFIGS, c) for c in self._informer.list()]
        configs = sorted((c for c in cached if c is not None), key=lambda c: c["metadata"]["name"])
        active = configs[0]["metadata"]["name"] if configs else ""
        parallelism = self._default
        if configs:
            knobs = read_knobs(configs[0], max_parallelism=self._max)
            if knobs.parallelism is not None:
                parallelism = knobs.parallelism
            if knobs.ignored or knobs.invalid:
                log.info(
                    "KarmadaConfig %s: ignoring knobs %s",
                    active,
                    ", ".join(knobs.ignored + knobs.invalid),
                )
        for config in configs:
            await self._writer.change(
                KARMADA_CONFIGS,
                config,
                partial(
                    config_with_status, active=active, max_parallelism=self._max, now=self._clock()
                ),
                status=True,
            )
        if parallelism != self._limit.limit:
            log.info("scheduler parallelism %d -> %d", self._limit.limit, parallelism)
            await self._limit.set_limit(parallelism)
