"""When a supervised process counts as hung: a Kubernetes livenessProbe, as pure logic.

Kubernetes restarts a container whose probe failed `failureThreshold` times in a row, one
probe every `periodSeconds`; here the same budget is one duration, `timeout_s`, counted from
the last success (or from the process' start when it never answered).
"""

from dataclasses import dataclass


@dataclass
class LivenessProbe:
    timeout_s: float
    failing_since: float | None = None

    def started(self, now: float) -> None:
        """A new process: it has `timeout_s` to answer its first probe."""
        self.failing_since = now

    def observe(self, *, healthy: bool, now: float) -> float | None:
        """Seconds of continuous failure once past the timeout (restart it), else None."""
        if healthy:
            self.failing_since = None
            return None
        if self.failing_since is None:
            self.failing_since = now
        failing_for = now - self.failing_since
        return failing_for if failing_for >= self.timeout_s else None
