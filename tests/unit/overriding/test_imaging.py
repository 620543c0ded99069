"""Image reference parsing and per-component overrides, ported from Karmada's
pkg/util/imageparser/parser_test.go and the imageOverrider semantics."""

import pytest

from shared.overriding.imaging import (
    ImageParseError,
    ImageReference,
    override_image,
    parse_image,
    split_registry,
)

DIGEST = "sha256:50d858e0985ecc7f60418aaf0cc5ab587f42c2570a884095a9e8ccacd0f6545c"
OTHER_DIGEST = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"


@pytest.mark.parametrize(
    ("image", "registry", "repository", "tag", "digest"),
    [
        ("pause", "", "pause", "", ""),
        ("subpath/imagename:v1.0.0", "", "subpath/imagename", "v1.0.0", ""),
        (
            "fictional.registry.example/imagename:v1.0.0",
            "fictional.registry.example",
            "imagename",
            "v1.0.0",
            "",
        ),
        (
            "fictional.registry.example:10443/subpath/imagename:v1.0.0",
            "fictional.registry.example:10443",
            "subpath/imagename",
            "v1.0.0",
            "",
        ),
        (
            f"fictional.registry.example:10443/subpath/imagename@{DIGEST}",
            "fictional.registry.example:10443",
            "subpath/imagename",
            "",
            DIGEST,
        ),
        ("localhost/app:1", "localhost", "app", "1", ""),
        ("localhost:5000/team/app", "localhost:5000", "team/app", "", ""),
        ("10.10.10.10:10443/subpath/imagename", "10.10.10.10:10443", "subpath/imagename", "", ""),
        ("[::1]:5000/app:v2", "[::1]:5000", "app", "v2", ""),
        # No docker.io normalisation: what the user wrote is what is kept.
        ("nginx:1.25", "", "nginx", "1.25", ""),
        ("docker.io/global-app:1.4.2", "docker.io", "global-app", "1.4.2", ""),
        ("library/nginx", "", "library/nginx", "", ""),
    ],
)
def test_parse_keeps_what_was_written(
    image: str, registry: str, repository: str, tag: str, digest: str
) -> None:
    reference = parse_image(image)
    assert reference == ImageReference(
        registry=registry, repository=repository, tag=tag, digest=digest
    )
    assert reference.render() == image


def test_tag_wins_over_digest_and_the_digest_is_lost() -> None:
    reference = parse_image(f"registry.example/app:v1@{DIGEST}")
    assert (reference.tag, reference.digest) == ("v1", "")
    assert reference.render() == "registry.example/app:v1"


@pytest.mark.parametrize(
    ("name", "registry", "repository"),
    [
        ("", "", ""),
        ("imagename", "", "imagename"),
        ("subpath/imagename", "", "subpath/imagename"),
        (
            "fictional.registry.example/subpath/imagename",
            "fictional.registry.example",
            "subpath/imagename",
        ),
        (
            "fictional.registry.example:10443/subpath/imagename",
            "fictional.registry.example:10443",
            "subpath/imagename",
        ),
        ("10.10.10.10:10443/subpath/imagename", "10.10.10.10:10443", "subpath/imagename"),
        ("localhost/imagename", "localhost", "imagename"),
        ("localhostx/imagename", "", "localhostx/imagename"),
    ],
)
def test_split_registry(name: str, registry: str, repository: str) -> None:
    assert split_registry(name) == (registry, repository)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("", "repository name must have at least one component"),
        ("Registry.Example/App", "repository name must be lowercase"),
        ("UPPER:1", "repository name must be lowercase"),
        ("app:tag with space", "invalid reference format"),
        ("app::1", "invalid reference format"),
        ("-app", "invalid reference format"),
        ("app@sha256:abc", "invalid reference format"),
        (f"app@{DIGEST.upper().replace('SHA256', 'sha256')}", "invalid checksum digest format"),
        ("app@sha256:" + "a" * 63, "invalid checksum digest length"),
        ("app@md5:" + "a" * 32, "unsupported digest algorithm"),
        ("b" * 256, "repository name must not be more than 255 characters"),
        ("registry.example/" + "b" * 256, "repository name must not be more than 255 characters"),
    ],
)
def test_parse_errors_match_distribution_reference(image: str, message: str) -> None:
    with pytest.raises(ImageParseError, match=message):
        parse_image(image)


def test_the_length_limit_counts_the_path_without_the_domain() -> None:
    assert parse_image("b" * 255).repository == "b" * 255
    assert parse_image("registry.example/" + "b" * 255).registry == "registry.example"


@pytest.mark.parametrize(
    ("image", "component", "operator", "value", "expected"),
    [
        # Registry: add concatenates verbatim, replace sets, remove drops.
        ("perl:5.34.0", "Registry", "add", "registry.k8s.io", "registry.k8s.io/perl:5.34.0"),
        (
            "fictional.registry.example/imagename:v1.0.0",
            "Registry",
            "add",
            ".test",
            "fictional.registry.example.test/imagename:v1.0.0",
        ),
        (
            "fictional.registry.example/imagename:v1.0.0",
            "Registry",
            "replace",
            "fictional.registry.us",
            "fictional.registry.us/imagename:v1.0.0",
        ),
        (
            "fictional.registry.example/imagename:v1.0.0",
            "Registry",
            "remove",
            "fictional.registry.us",
            "imagename:v1.0.0",
        ),
        ("localhost:5000/app:1", "Registry", "replace", "mirror.example", "mirror.example/app:1"),
        ("app:1", "Registry", "remove", "", "app:1"),
        ("library/nginx", "Registry", "replace", "hub.example", "hub.example/library/nginx"),
        # Repository.
        (
            "fictional.registry.example/imagename:v1.0.0",
            "Repository",
            "add",
            "/nginx",
            "fictional.registry.example/imagename/nginx:v1.0.0",
        ),
        (
            "fictional.registry.example/imagename:v1.0.0",
            "Repository",
            "replace",
            "nginx",
            "fictional.registry.example/nginx:v1.0.0",
        ),
        (
            "fictional.registry.example/imagename:v1.0.0",
            "Repository",
            "remove",
            "nginx",
            "fictional.registry.example/:v1.0.0",
        ),
        (
            "registry.k8s.io/nginx-slim:0.8",
            "Repository",
            "replace",
            "nginx",
            "registry.k8s.io/nginx:0.8",
        ),
        # Tag: a tag-shaped value becomes the tag, a digest-shaped one the digest.
        ("gcr.io/kube-apiserver", "Tag", "replace", "v1.19.0", "gcr.io/kube-apiserver:v1.19.0"),
        (
            "fictional.registry.example/imagename:v1.0.0",
            "Tag",
            "replace",
            OTHER_DIGEST,
            f"fictional.registry.example/imagename@{OTHER_DIGEST}",
        ),
        (f"app@{DIGEST}", "Tag", "replace", "v2", "app:v2"),
        ("app:v1", "Tag", "add", "-debug", "app:v1-debug"),
        ("app", "Tag", "add", "v3", "app:v3"),
        # add of a digest onto a tag yields neither shape: the image is left unchanged.
        (
            "fictional.registry.example/imagename:v1.0.0",
            "Tag",
            "add",
            OTHER_DIGEST,
            "fictional.registry.example/imagename:v1.0.0",
        ),
        ("app:v1", "Tag", "replace", "not a tag!", "app:v1"),
        (
            "fictional.registry.example/imagename:v1.0.0",
            "Tag",
            "remove",
            OTHER_DIGEST,
            "fictional.registry.example/imagename",
        ),
        (f"gcr.io/kube-apiserver@{DIGEST}", "Tag", "remove", "", "gcr.io/kube-apiserver"),
        (f"app:v1@{DIGEST}", "Tag", "remove", "", "app"),
        ("app", "Tag", "remove", "", "app"),
    ],
)
def test_override_image(
    image: str, component: str, operator: str, value: str, expected: str
) -> None:
    assert (
        override_image(image, component=component, operator=operator, value=value)  # type: ignore[arg-type]
        == expected
    )


def test_set_then_remove_tag_and_digest_in_sequence() -> None:
    """Karmada's ExampleComponents_SetTagOrDigest, step by step."""
    image = "gcr.io/kube-apiserver"
    steps = [
        ("replace", "v1.19.0", "gcr.io/kube-apiserver:v1.19.0"),
        ("remove", "", "gcr.io/kube-apiserver"),
        ("replace", DIGEST, f"gcr.io/kube-apiserver@{DIGEST}"),
        ("remove", "", "gcr.io/kube-apiserver"),
    ]
    for operator, value, expected in steps:
        image = override_image(image, component="Tag", operator=operator, value=value)  # type: ignore[arg-type]
        assert image == expected


def test_override_of_an_unparsable_image_fails() -> None:
    with pytest.raises(ImageParseError):
        override_image("Bad Image", component="Registry", operator="replace", value="x.io")
