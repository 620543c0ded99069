"""Certificates are reused and private keys private; kubeconfigs round-trip."""

import ssl
import stat
from pathlib import Path

from shared.certs import ensure_serving_certs
from shared.kubeconfig import KubeconfigEntry, load_kubeconfig, write_kubeconfig


def test_certs_are_created_once_with_private_keys(tmp_path: Path) -> None:
    certs = ensure_serving_certs(tmp_path)
    assert stat.S_IMODE(certs.server_key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "ca.key").stat().st_mode) == 0o600
    before = certs.server_cert.read_bytes()
    again = ensure_serving_certs(tmp_path)
    assert again.server_cert.read_bytes() == before
    assert isinstance(again.server_context(), ssl.SSLContext)
    reissued = ensure_serving_certs(tmp_path, hosts=("127.0.0.1", "localhost", "hub.example"))
    assert reissued.server_cert.read_bytes() != before and reissued.ca_pem == certs.ca_pem


def test_kubeconfig_round_trip(tmp_path: Path) -> None:
    entry = KubeconfigEntry(
        server="https://127.0.0.1:6443/clusters/east", ca_pem=b"PEM", token="t0k", context="east"
    )
    path = write_kubeconfig(tmp_path / "east.kubeconfig", entry)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_kubeconfig(path)
    assert (loaded.server, loaded.ca_pem, loaded.token, loaded.context) == (
        entry.server,
        b"PEM",
        "t0k",
        "east",
    )
