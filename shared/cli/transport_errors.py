"""kubectl's one-line messages for a server that cannot be reached (refused, TLS, DNS, timeout).

kubectl prints `The connection to the server HOST:PORT was refused - did you specify the
right host or port?` for a refused connection and `Unable to connect to the server: …`
with Go's wording of the cause otherwise; scripts and people grep for both.
"""

import socket
import ssl
from urllib.parse import urlsplit

import aiohttp

UNKNOWN_AUTHORITY_CODES = {18, 19, 20, 21}
"""OpenSSL's self-signed and unknown-issuer codes, `certificate signed by unknown authority`"""
EXPIRED_CODES = {9, 10}
HOSTNAME_MISMATCH_CODE = 62


class ServerUnreachable(Exception):
    """The server could not be reached at all: no Status to show, one line for the user."""


def server_address(server: str) -> str:
    """HOST:PORT as the kubeconfig wrote it, the way kubectl names the server."""
    parts = urlsplit(server)
    return parts.netloc.rsplit("@", 1)[-1] or server


def root_cause(error: BaseException) -> BaseException:
    """The socket, TLS or DNS error inside aiohttp's wrapper."""
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        return error.certificate_error
    if isinstance(error, aiohttp.ClientConnectorError):
        return error.os_error
    return error


def _certificate_problem(error: ssl.SSLCertVerificationError, host: str) -> str:
    if error.verify_code in UNKNOWN_AUTHORITY_CODES:
        return "certificate signed by unknown authority"
    if error.verify_code in EXPIRED_CODES:
        return "certificate has expired or is not yet valid"
    if error.verify_code == HOSTNAME_MISMATCH_CODE:
        return f"certificate is not valid for {host}"
    return str(error.verify_message or error.reason or error)


def unreachable_message(server: str, error: BaseException) -> str:
    """kubectl's line for `error` while reaching `server`."""
    address = server_address(server)
    host = urlsplit(server).hostname or address
    cause = root_cause(error)
    if isinstance(cause, ConnectionRefusedError):
        return (
            f"The connection to the server {address} was refused - "
            "did you specify the right host or port?"
        )
    prefix = "Unable to connect to the server: "
    if isinstance(cause, ssl.SSLCertVerificationError):
        problem = _certificate_problem(cause, host)
        return f"{prefix}tls: failed to verify certificate: x509: {problem}"
    if isinstance(cause, ssl.SSLError):
        return f"{prefix}tls: {(cause.reason or str(cause)).lower().replace('_', ' ')}"
    if isinstance(cause, socket.gaierror):
        return f"{prefix}dial tcp: lookup {host}: no such host"
    if isinstance(cause, TimeoutError):
        return f"{prefix}dial tcp {address}: i/o timeout"
    if isinstance(cause, aiohttp.ServerDisconnectedError):
        return f"{prefix}EOF"
    if isinstance(cause, OSError) and cause.strerror:
        return f"{prefix}dial tcp {address}: connect: {cause.strerror.lower()}"
    return f"{prefix}{cause}"


def unreachable(server: str, error: BaseException) -> ServerUnreachable:
    return ServerUnreachable(unreachable_message(server, error))


TRANSPORT_ERRORS = (aiohttp.ClientConnectionError, TimeoutError, ssl.SSLError)
"""What the client converts: failures to reach the server, never its answers."""
