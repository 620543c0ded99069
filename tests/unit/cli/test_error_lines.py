"""kubectl's one-line wording for unreachable servers, and the CLI's one line per failure."""

import socket
import ssl

import pytest
from pydantic import BaseModel, ValidationError

from shared.cli.client import ApiError
from shared.cli.errors import error_line, is_expected
from shared.cli.transport_errors import ServerUnreachable, unreachable_message

SERVER = "https://127.0.0.1:6443"


def certificate_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {message}")
    error.verify_code = code
    error.verify_message = message
    return error


TRANSPORT_CASES = {
    "refused": (
        ConnectionRefusedError(111, "Connect call failed"),
        "The connection to the server 127.0.0.1:6443 was refused - "
        "did you specify the right host or port?",
    ),
    "unknown authority": (
        certificate_error(20, "unable to get local issuer certificate"),
        "Unable to connect to the server: tls: failed to verify certificate: "
        "x509: certificate signed by unknown authority",
    ),
    "expired": (
        certificate_error(10, "certificate has expired"),
        "Unable to connect to the server: tls: failed to verify certificate: "
        "x509: certificate has expired or is not yet valid",
    ),
    "wrong host": (
        certificate_error(62, "Hostname mismatch"),
        "Unable to connect to the server: tls: failed to verify certificate: "
        "x509: certificate is not valid for 127.0.0.1",
    ),
    "dns": (
        socket.gaierror(-2, "Name or service not known"),
        "Unable to connect to the server: dial tcp: lookup 127.0.0.1: no such host",
    ),
    "timeout": (
        TimeoutError(),
        "Unable to connect to the server: dial tcp 127.0.0.1:6443: i/o timeout",
    ),
    "no route": (
        OSError(113, "No route to host"),
        "Unable to connect to the server: dial tcp 127.0.0.1:6443: connect: no route to host",
    ),
}


@pytest.mark.parametrize("case", TRANSPORT_CASES.values(), ids=TRANSPORT_CASES.keys())
def test_transport_errors_read_like_kubectl(case: tuple[BaseException, str]) -> None:
    error, expected = case
    assert unreachable_message(SERVER, error) == expected


def test_the_server_is_named_as_the_kubeconfig_wrote_it() -> None:
    refused = ConnectionRefusedError(111, "refused")
    assert unreachable_message("https://hub.example:8443/", refused).startswith(
        "The connection to the server hub.example:8443 was refused"
    )
    dns = socket.gaierror(-2, "Name or service not known")
    assert unreachable_message("https://nohost.invalid:6443", dns).endswith(
        "lookup nohost.invalid: no such host"
    )


class Port(BaseModel):
    port: int


def validation_error() -> ValidationError:
    try:
        Port.model_validate({"port": "many"})
    except ValidationError as error:
        return error
    raise AssertionError("the model accepted a bad port")


LINE_CASES = {
    "unreachable": (ServerUnreachable("The connection to the server x was refused"), True),
    "status": (ApiError(404, "NotFound", 'pods "web" not found'), True),
    "missing file": (FileNotFoundError(2, "No such file or directory", "/tmp/k"), True),
    "bad value": (ValueError('context "x" does not exist\nin the file'), True),
    "bad setting": (validation_error(), True),
    "bug": (AttributeError("'list' object has no attribute 'get'"), False),
}
EXPECTED_LINES = {
    "unreachable": "The connection to the server x was refused",
    "status": 'Error from server (NotFound): pods "web" not found',
    "missing file": "error: /tmp/k: no such file or directory",
    "bad value": 'error: context "x" does not exist in the file',
    "bad setting": "error: invalid configuration: port: Input should be a valid integer, "
    "unable to parse string as an integer",
    "bug": "error: unexpected AttributeError: 'list' object has no attribute 'get' "
    "(set NAVARCH_DEBUG=1 for the traceback)",
}


@pytest.mark.parametrize("name", LINE_CASES)
def test_every_failure_is_one_line(name: str) -> None:
    error, expected = LINE_CASES[name]
    line = error_line(error)
    assert line == EXPECTED_LINES[name]
    assert "\n" not in line
    assert is_expected(error) is expected
