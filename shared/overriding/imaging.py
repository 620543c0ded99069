"""Container image references as Karmada's imageOverrider sees them (`pkg/util/imageparser`).

Parsing follows distribution/reference `Parse` (the grammar and its errors) but never
normalises: `nginx` stays `nginx`, not `docker.io/library/nginx`, so an override changes
only the component it names and users see the image they wrote.
"""

import dataclasses
import re
from dataclasses import dataclass
from typing import Literal

ImageComponent = Literal["Registry", "Repository", "Tag"]
ImageOperator = Literal["add", "remove", "replace"]

# distribution/reference regexp.go, spelled for Python: `\w` is ASCII-only in Go.
_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = f"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_REMOTE_NAME = f"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = f"{_DOMAIN_COMPONENT}(?:\\.{_DOMAIN_COMPONENT})*"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN_AND_PORT = f"(?:{_DOMAIN_NAME}|{_IPV6})(?::[0-9]+)?"
_NAME = f"(?:{_DOMAIN_AND_PORT}/)?{_REMOTE_NAME}"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}"

_REFERENCE_RE = re.compile(f"({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?", re.ASCII)
_ANCHORED_NAME_RE = re.compile(f"(?:({_DOMAIN_AND_PORT})/)?({_REMOTE_NAME})", re.ASCII)
_TAG_RE = re.compile(_TAG, re.ASCII)
_DIGEST_RE = re.compile(_DIGEST, re.ASCII)
_ANY_DIGEST_RE = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+", re.ASCII)

REPOSITORY_NAME_MAX = 255
# go-digest algorithms Karmada registers (crypto/sha256 and crypto/sha512): hex lengths.
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOWER_HEX_RE = re.compile(r"[a-f0-9]+", re.ASCII)


class ImageParseError(ValueError):
    """The image string is not a reference distribution/reference accepts."""


@dataclass(frozen=True)
class ImageReference:
    """`[registry/]repository[:tag|@digest]`; a tag and a digest never coexist here."""

    registry: str = ""
    repository: str = ""
    tag: str = ""
    digest: str = ""

    def full_repository(self) -> str:
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def tag_or_digest(self) -> str:
        return self.tag or self.digest

    def render(self) -> str:
        if self.tag:
            return f"{self.full_repository()}:{self.tag}"
        if self.digest:
            return f"{self.full_repository()}@{self.digest}"
        return self.full_repository()

    def with_tag_or_digest(self, value: str) -> "ImageReference":
        """A valid tag replaces tag and digest; else a digest-shaped value becomes the
        digest; anything else leaves the image unchanged (Karmada reports no error)."""
        if _TAG_RE.fullmatch(value):
            return dataclasses.replace(self, tag=value, digest="")
        if _DIGEST_RE.fullmatch(value):
            return dataclasses.replace(self, tag="", digest=value)
        return self

    def without_tag_or_digest(self) -> "ImageReference":
        if self.tag:
            return dataclasses.replace(self, tag="")
        return dataclasses.replace(self, digest="")


def split_registry(name: str) -> tuple[str, str]:
    """Karmada's SplitHostname: the part before the first `/` is a registry only if it
    holds a `.` or a `:` or is `localhost`."""
    head, slash, rest = name.partition("/")
    if not slash or ("." not in head and ":" not in head and head != "localhost"):
        return "", name
    return head, rest


def _validate_digest(digest: str) -> None:
    """go-digest Digest.Validate for the algorithms Karmada can hash."""
    algorithm, _, encoded = digest.partition(":")
    if not algorithm or not encoded:
        raise ImageParseError("invalid checksum digest format")
    expected_length = _DIGEST_HEX_LENGTHS.get(algorithm)
    if expected_length is None:
        if not _ANY_DIGEST_RE.fullmatch(digest):
            raise ImageParseError("invalid checksum digest format")
        raise ImageParseError("unsupported digest algorithm")
    if len(encoded) != expected_length:
        raise ImageParseError("invalid checksum digest length")
    if not _LOWER_HEX_RE.fullmatch(encoded):
        raise ImageParseError("invalid checksum digest format")


def parse_image(image: str) -> ImageReference:
    """Split an image into its components; when both are present the tag wins and the
    digest is dropped, as Karmada's parser does."""
    if not image:
        raise ImageParseError("repository name must have at least one component")
    match = _REFERENCE_RE.fullmatch(image)
    if match is None:
        if image.lower() != image and _REFERENCE_RE.fullmatch(image.lower()):
            raise ImageParseError("repository name must be lowercase")
        raise ImageParseError("invalid reference format")
    name, tag, digest = match.group(1), match.group(2) or "", match.group(3) or ""
    name_match = _ANCHORED_NAME_RE.fullmatch(name)
    path = name_match.group(2) if name_match else name
    if len(path) > REPOSITORY_NAME_MAX:
        raise ImageParseError(
            f"repository name must not be more than {REPOSITORY_NAME_MAX} characters"
        )
    if digest:
        _validate_digest(digest)
    registry, repository = split_registry(name)
    return ImageReference(
        registry=registry,
        repository=repository,
        tag=tag,
        digest="" if tag else digest,
    )


def override_image(
    image: str, *, component: ImageComponent, operator: ImageOperator, value: str
) -> str:
    """Apply one imageOverrider to one image string. `add` concatenates onto the current
    component verbatim (`a.example` + `.test`), exactly as Karmada does."""
    reference = parse_image(image)
    if component == "Registry":
        if operator == "add":
            reference = dataclasses.replace(reference, registry=reference.registry + value)
        elif operator == "replace":
            reference = dataclasses.replace(reference, registry=value)
        else:
            reference = dataclasses.replace(reference, registry="")
    elif component == "Repository":
        if operator == "add":
            reference = dataclasses.replace(reference, repository=reference.repository + value)
        elif operator == "replace":
            reference = dataclasses.replace(reference, repository=value)
        else:
            reference = dataclasses.replace(reference, repository="")
    elif operator == "add":
        reference = reference.with_tag_or_digest(reference.tag_or_digest() + value)
    elif operator == "replace":
        reference = reference.with_tag_or_digest(value)
    else:
        reference = reference.without_tag_or_digest()
    return reference.render()
