"""The admin API's provisioning routes: the simulator as the built-in cloud provider.

    GET    /admin/provisioning                          -> ProvisioningSettings
    POST   /admin/provisioning        {bootSeconds, joinSeconds, neverJoin, providerErrors}
    POST   /admin/provisioned         ClusterRequest     -> 201 (200 when it already existed)
    GET    /admin/provisioned/<name>                     -> ProvisionedCluster
    DELETE /admin/provisioned/<name>                     -> {"deleted": name}
    GET    /admin/provisioned/<name>/kubeconfig          -> {"kubeconfig": "<yaml>"}
    GET    /admin/provisioned/<name>/machines            -> {"machines": [Machine]}
    POST   /admin/provisioned/<name>/pools/<pool>/machines        MachinesRequest
    POST   /admin/provisioned/<name>/pools/<pool>/machines/remove RemoveMachinesRequest

Bodies are validated; a bad one gets a 422 naming the field, never a half-made cluster.
"""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from services.simulator.provisioning import (
    ClusterRequest,
    MachinesRequest,
    Provisioner,
    ProvisioningError,
    ProvisioningSettings,
    RemoveMachinesRequest,
)
from shared.api.validation import format_location

Model = TypeVar("Model", bound=BaseModel)
Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _body(request: web.Request, model: type[Model]) -> Model:
    try:
        document: Any = await request.json()
    except ValueError:
        raise ProvisioningError(400, "the body must be JSON") from None
    try:
        return model.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = format_location(tuple(first["loc"])) or "(body)"
        raise ProvisioningError(422, f"{where}: {first['msg']}") from None


def _json(model: BaseModel | dict[str, Any], *, status: int = 200) -> web.Response:
    body = model if isinstance(model, dict) else model.model_dump(by_alias=True, mode="json")
    return web.json_response(body, status=status)


def _answering(route: Route) -> Route:
    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            return await route(request)
        except ProvisioningError as error:
            return _error(error.status, error.message)

    return handle


def add_provisioning_routes(app: web.Application, provisioner: Provisioner) -> None:
    async def get_settings(_request: web.Request) -> web.StreamResponse:
        return _json(provisioner.settings)

    async def set_settings(request: web.Request) -> web.StreamResponse:
        return _json(provisioner.configure(await _body(request, ProvisioningSettings)))

    async def create(request: web.Request) -> web.StreamResponse:
        cluster, created = await provisioner.create_cluster(await _body(request, ClusterRequest))
        return _json(cluster, status=201 if created else 200)

    async def describe(request: web.Request) -> web.StreamResponse:
        return _json(provisioner.describe(request.match_info["name"]))

    async def delete(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        await provisioner.delete_cluster(name)
        return _json({"deleted": name})

    async def kubeconfig(request: web.Request) -> web.StreamResponse:
        return _json({"kubeconfig": provisioner.kubeconfig(request.match_info["name"])})

    async def machines(request: web.Request) -> web.StreamResponse:
        listed = await provisioner.machines(request.match_info["name"])
        return _json({"machines": [m.model_dump(by_alias=True, mode="json") for m in listed]})

    async def add(request: web.Request) -> web.StreamResponse:
        name, pool = request.match_info["name"], request.match_info["pool"]
        added = await provisioner.add_machines(name, pool, await _body(request, MachinesRequest))
        return _json(
            {"machines": [m.model_dump(by_alias=True, mode="json") for m in added]}, status=201
        )

    async def remove(request: web.Request) -> web.StreamResponse:
        name, pool = request.match_info["name"], request.match_info["pool"]
        body = await _body(request, RemoveMachinesRequest)
        return _json({"removed": await provisioner.remove_machines(name, pool, body)})

    routes: list[tuple[str, str, Route]] = [
        ("GET", "/provisioning", get_settings),
        ("POST", "/provisioning", set_settings),
        ("POST", "/provisioned", create),
        ("GET", "/provisioned/{name}", describe),
        ("DELETE", "/provisioned/{name}", delete),
        ("GET", "/provisioned/{name}/kubeconfig", kubeconfig),
        ("GET", "/provisioned/{name}/machines", machines),
        ("POST", "/provisioned/{name}/pools/{pool}/machines", add),
        ("POST", "/provisioned/{name}/pools/{pool}/machines/remove", remove),
    ]
    for method, path, route in routes:
        app.router.add_route(method, path, _answering(route))
