"""The simulator's admin API (`/admin` on the simulator's server): list clusters, set faults.

`navarch sim fault|clusters` talk to it with the admin token from the state file; it is
separate from the clusters' tokens so a member's kubeconfig cannot break the fleet.

    GET  /admin/clusters                  -> {"clusters": [{name, server, faults, ...}]}
    GET  /admin/clusters/<name>/faults    -> {"cluster", "faults", "faultLabels"}
    POST /admin/clusters/<name>/faults    {"action": "latency", "value": 200} -> same

and, with a provisioner, the run-time clusters, pools and machines of `admin_provisioning`.
"""

import secrets
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from services.simulator.admin_provisioning import add_provisioning_routes
from services.simulator.faults import Fault, FaultError, FaultInjector, FaultState, parse_fault
from services.simulator.provisioning import Provisioner

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FaultTarget(Protocol):
    """What the admin API drives (the SimulatorServer)."""

    faults: FaultInjector

    async def inject(self, name: str, fault: Fault) -> FaultState: ...

    async def describe(self) -> list[dict[str, Any]]: ...


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _state_body(name: str, state: FaultState) -> dict[str, Any]:
    return {"cluster": name, "faults": state.to_dict(), "faultLabels": state.describe()}


def create_admin_app(
    target: FaultTarget, *, token: str, provisioner: Provisioner | None = None
) -> web.Application:
    """The admin routes behind a bearer-token check (constant-time comparison)."""

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip(), token):
            return _error(401, "an admin bearer token is required")
        return await handler(request)

    async def clusters(_request: web.Request) -> web.StreamResponse:
        return web.json_response({"clusters": await target.describe()})

    async def get_faults(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in target.faults.gates:
            return _error(404, f"no simulated cluster {name!r}")
        return web.json_response(_state_body(name, target.faults[name].state))

    async def set_faults(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in target.faults.gates:
            return _error(404, f"no simulated cluster {name!r}")
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "the body must be JSON: {action, value}")
        if not isinstance(body, dict) or not isinstance(body.get("action"), str):
            return _error(400, "the body must be JSON: {action, value}")
        try:
            fault = parse_fault(body["action"], body.get("value"))
        except FaultError as error:
            return _error(400, str(error))
        state = await target.inject(name, fault)
        return web.json_response(_state_body(name, state))

    app = web.Application(middlewares=[authenticate])
    app.router.add_get("/clusters", clusters)
    app.router.add_get("/clusters/{name}/faults", get_faults)
    app.router.add_post("/clusters/{name}/faults", set_faults)
    if provisioner is not None:
        add_provisioning_routes(app, provisioner)
    return app
