"""Why a manifest cannot be rendered, located as precisely as the failing overrider allows."""


class RenderError(ValueError):
    """The template cannot be rendered for this cluster; the member keeps its old copy."""


class OverrideError(RenderError):
    """An overrider failed: names the policy, the rule, the overrider and the JSON path."""

    def __init__(
        self,
        reason: str,
        *,
        path: str = "",
        overrider: str = "",
        policy: str = "",
        rule: str = "",
    ) -> None:
        self.reason = reason
        self.path = path
        self.overrider = overrider
        self.policy = policy
        self.rule = rule
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = ".".join(part for part in (self.rule, self.overrider) if part)
        text = ""
        if self.policy:
            text += f"{self.policy}: "
        if where:
            text += where
        if self.path:
            text += f" at {self.path}" if text else self.path
        return f"{text}: {self.reason}" if text else self.reason

    def located(self, *, policy: str, rule: str) -> "OverrideError":
        return OverrideError(
            self.reason, path=self.path, overrider=self.overrider, policy=policy, rule=rule
        )
