"""Read-your-writes: a process's own write overlays its cache until the cache catches up."""

import pytest

from shared.api.resources import ResourceType
from shared.runtime.informing import InformerEvent
from shared.runtime.own_writes import OwnWrites

CONFIGMAPS = ResourceType(
    group="", version="v1", plural="configmaps", kind="ConfigMap", status_subresource=False
)


def configmap(revision: int, *, name: str = "a", value: str = "") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default", "resourceVersion": str(revision)},
        "data": {"value": value},
    }


def test_a_newer_own_write_overlays_a_lagging_cache_until_it_catches_up() -> None:
    writes = OwnWrites()
    writes.remember(CONFIGMAPS, configmap(5, value="mine"))
    assert writes.fresher(CONFIGMAPS, configmap(4))["data"]["value"] == "mine"
    assert writes.fresher(CONFIGMAPS, configmap(5, value="cache"))["data"]["value"] == "cache"
    assert len(writes) == 0, "caught up: the entry is dropped"
    assert writes.fresher(CONFIGMAPS, configmap(4, value="old"))["data"]["value"] == "old"


def test_a_deletion_in_the_cache_always_wins() -> None:
    writes = OwnWrites()
    writes.remember(CONFIGMAPS, configmap(5))
    assert writes.fresher(CONFIGMAPS, None) is None


@pytest.mark.parametrize(
    ("event_type", "revision", "echo"),
    [
        ("MODIFIED", 5, True),  # exactly the write
        ("MODIFIED", 4, False),  # someone else's write our conflict retry built upon
        ("MODIFIED", 6, False),  # someone else wrote after us
        ("DELETED", 5, False),  # a deletion is news
    ],
)
def test_echoes_of_own_writes(event_type: str, revision: int, echo: bool) -> None:
    writes = OwnWrites()
    writes.remember(CONFIGMAPS, configmap(5))
    event = InformerEvent(event_type, configmap(revision))  # type: ignore[arg-type]
    assert writes.is_echo(CONFIGMAPS, event) is echo


def test_after_the_echo_a_later_change_by_others_is_not_an_echo() -> None:
    writes = OwnWrites()
    writes.remember(CONFIGMAPS, configmap(5))
    assert writes.is_echo(CONFIGMAPS, InformerEvent("MODIFIED", configmap(5)))
    assert not writes.is_echo(CONFIGMAPS, InformerEvent("MODIFIED", configmap(5)))


def test_highest_revision_per_kind() -> None:
    writes = OwnWrites()
    writes.remember(CONFIGMAPS, configmap(7, name="a"))
    writes.remember(CONFIGMAPS, configmap(3, name="b"))
    assert writes.highest_revision(CONFIGMAPS) == 7


def test_an_unseen_create_is_read_back_until_its_echo_or_deletion() -> None:
    writes = OwnWrites()
    writes.remember(CONFIGMAPS, configmap(5, value="created"))
    assert writes.fresher(CONFIGMAPS, None) is None, "plain reads: a missing object is missing"
    assert writes.unseen(CONFIGMAPS, ("default", "a"))["data"]["value"] == "created"
    assert writes.unseen(CONFIGMAPS, ("default", "b")) is None
    assert writes.is_echo(CONFIGMAPS, InformerEvent("ADDED", configmap(5)))
    assert writes.unseen(CONFIGMAPS, ("default", "a")) is None, "the cache has it now"


def test_a_deletion_seen_by_the_informer_ends_an_unseen_create() -> None:
    writes = OwnWrites()
    writes.remember(CONFIGMAPS, configmap(5))
    assert not writes.is_echo(CONFIGMAPS, InformerEvent("DELETED", configmap(5)))
    assert writes.unseen(CONFIGMAPS, ("default", "a")) is None


def test_someone_elses_write_under_a_conflict_retry_still_wakes_its_reconcile() -> None:
    """Writer.change re-reads after a conflict and writes on top of another writer's
    change (rev 9 → ours at 10): rev 9's event is news the reconcile has not acted on."""
    writes = OwnWrites()
    writes.remember(CONFIGMAPS, configmap(10, value="ours"))
    assert not writes.is_echo(CONFIGMAPS, InformerEvent("MODIFIED", configmap(9, value="theirs")))
    assert writes.is_echo(CONFIGMAPS, InformerEvent("MODIFIED", configmap(10, value="ours")))


def test_an_own_deletion_hides_the_cached_copy_until_the_cache_shows_it() -> None:
    """A process that deleted an object must not read it back from a lagging cache (the
    override-engine confirms a removal only once its Work reads as gone)."""
    writes = OwnWrites()
    writes.remember(CONFIGMAPS, configmap(5))
    writes.remember_deletion(CONFIGMAPS, ("default", "a"), 6)
    assert writes.fresher(CONFIGMAPS, configmap(5)) is None, "older than the delete: gone"
    assert writes.unseen(CONFIGMAPS, ("default", "a")) is None, "the write it replaced is void"
    assert not writes.is_echo(CONFIGMAPS, InformerEvent("DELETED", configmap(5)))
    assert len(writes) == 0, "the cache showed the delete: nothing kept"
    assert writes.fresher(CONFIGMAPS, configmap(5)) is not None


def test_a_newer_object_of_the_name_ends_an_own_deletion() -> None:
    writes = OwnWrites()
    writes.remember_deletion(CONFIGMAPS, ("default", "a"), 6)
    assert writes.fresher(CONFIGMAPS, configmap(8, value="again"))["data"]["value"] == "again"
    assert len(writes) == 0
    writes.remember_deletion(CONFIGMAPS, ("default", "a"), 9)
    assert not writes.is_echo(CONFIGMAPS, InformerEvent("ADDED", configmap(10)))
    assert writes.fresher(CONFIGMAPS, configmap(10)) is not None, "recreated by someone"
    writes.remember_deletion(CONFIGMAPS, ("default", "a"), 11)
    writes.remember(CONFIGMAPS, configmap(12, value="mine"))
    assert writes.fresher(CONFIGMAPS, configmap(10))["data"]["value"] == "mine"
