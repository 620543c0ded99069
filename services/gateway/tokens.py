"""Bearer tokens from a file (kube-apiserver's static token format), re-read when it changes.

`token,user,uid,"group1,group2"` per line; an admin line is generated on first start.
Adding or revoking a token is editing the file: the gateway sees it within a second.
"""

import csv
import os
import secrets
import time
from pathlib import Path

from shared.kubeapi.storage import User

ADMIN_USER = "navarch-admin"
RELOAD_INTERVAL_S = 1.0


class TokenFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._tokens: dict[str, User] = {}
        self._mtime = -1.0
        self._checked = 0.0

    def ensure_admin(self) -> str:
        """The admin token, generating the file (mode 0600) on first start."""
        self._reload(force=True)
        for token, user in self._tokens.items():
            if user.name == ADMIN_USER:
                return token
        token = secrets.token_urlsafe(32)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(descriptor, "a") as handle:
            handle.write(f'{token},{ADMIN_USER},{ADMIN_USER},"system:masters"\n')
        self._reload(force=True)
        return token

    def _reload(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < RELOAD_INTERVAL_S:
            return
        self._checked = now
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            self._tokens = {}
            return
        if mtime == self._mtime and not force:
            return
        tokens: dict[str, User] = {}
        with open(self.path, newline="") as handle:
            for row in csv.reader(handle):
                if len(row) >= 2 and row[0] and not row[0].startswith("#"):
                    groups = tuple(g for g in (row[3] if len(row) > 3 else "").split(",") if g)
                    tokens[row[0].strip()] = User(row[1].strip(), groups)
        self._tokens = tokens
        self._mtime = mtime

    async def authenticate(self, token: str) -> User | None:
        self._reload()
        return self._tokens.get(token)
