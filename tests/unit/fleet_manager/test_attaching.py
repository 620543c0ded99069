"""The fleet-manager's finalizer on AttachedClusters: added once, removed alone."""

from services.fleet_manager.attaching import FINALIZER, with_finalizer, without_finalizer


def attached(*finalizers: str) -> dict:
    return {"metadata": {"name": "hz", "namespace": "ns", "finalizers": list(finalizers)}}


def test_the_finalizer_is_added_once_after_the_others() -> None:
    added = with_finalizer(attached("other"))
    assert added["metadata"]["finalizers"] == ["other", FINALIZER]
    assert with_finalizer(added) is added
    assert with_finalizer({"metadata": {"name": "hz"}})["metadata"]["finalizers"] == [FINALIZER]


def test_removing_it_keeps_the_others_and_the_original_untouched() -> None:
    original = attached("other", FINALIZER)
    assert without_finalizer(original)["metadata"]["finalizers"] == ["other"]
    assert original["metadata"]["finalizers"] == ["other", FINALIZER]
