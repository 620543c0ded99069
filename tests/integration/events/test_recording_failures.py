"""A recorder whose store fails logs each failure with the Event and keeps running."""

import logging
import uuid

import pytest

from shared.bus import Bus
from shared.events.models import InvolvedObject
from shared.events.recording import EventRecorder
from shared.natsserver import NatsServer
from shared.store.jetstream import JetStreamBackend
from shared.store.objects import ObjectStore

pytestmark = pytest.mark.integration

CLUSTER = InvolvedObject(api_version="cluster.karmada.io/v1alpha1", kind="Cluster", name="east")


async def test_write_failures_are_logged_never_raised(
    nats_server: NatsServer, caplog: pytest.LogCaptureFixture
) -> None:
    bus = await Bus.connect(nats_server.url, name="events-failing")
    backend = await JetStreamBackend.open(bus, bucket=f"events-{uuid.uuid4().hex[:12]}")
    recorder = EventRecorder(ObjectStore(backend), component="fleet-manager")
    recorder.start()
    await bus.close()
    with caplog.at_level(logging.ERROR, logger="shared.events.recording"):
        event = recorder.record(CLUSTER, type="Normal", reason="ClusterNotReady", message="m")
        await recorder.flush()
        recorder.record(CLUSTER, type="Normal", reason="ClusterReady", message="m")
        await recorder.flush()
    failures = [r for r in caplog.records if r.getMessage() == "cannot write Event"]
    assert len(failures) == 2
    assert failures[0].event == event.metadata.name
    assert failures[0].reason == "ClusterNotReady"
    await recorder.stop()
