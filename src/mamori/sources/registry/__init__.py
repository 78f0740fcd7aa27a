"""Pull images from OCI / Docker registries into a local OCI image layout.

    layout = pull_image("docker.io/library/alpine:3.20", workdir=tmp, platform="linux/amd64")
    with open_image(layout, workdir=tmp, notices=notices) as tree: ...

Modules: `reference` (parsing `alpine`, `host:port/repo@sha256:...`), `credentials`
(command line, environment, podman/docker auth files), `auth` (basic and bearer-token
challenges), `http` (retries, redirects), `client` (the distribution API v2),
`manifest` (media types, platform choice), `cache` (verified content-addressed blobs),
`pull` (the layout writer and the entry points).
"""

from mamori.sources.registry.credentials import Credentials, resolve_credentials
from mamori.sources.registry.errors import RegistryError
from mamori.sources.registry.http import ClientOptions, RetryPolicy
from mamori.sources.registry.pull import PulledImage, pull_image, pull_to_layout
from mamori.sources.registry.reference import ImageReference, check_digest, parse_reference

__all__ = [
    "ClientOptions",
    "Credentials",
    "ImageReference",
    "PulledImage",
    "RegistryError",
    "RetryPolicy",
    "check_digest",
    "parse_reference",
    "pull_image",
    "pull_to_layout",
    "resolve_credentials",
]
