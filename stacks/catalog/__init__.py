"""Provider catalogs: what stacks knows about each cloud resource type its plans use.

One table per provider (``stacks.catalog.aws``, ``stacks.catalog.gcp``), keyed by the
Pulumi type token the planners emit. An entry holds the provider facts every stage
reads: the Terraform resource type (``deploy/terraform*.py`` render with it), the
diagram icon (``architecture/nodes.py``), what it keeps at rest and how to tell it is
encrypted (the ``encryption-at-rest`` policy), and which inputs make the provider
replace it (``stacks diff``). Adding a resource type to a planner means one entry
here: a type the catalog does not know fails the encryption policy (fail closed) and
the completeness test (tests/stacks/test_catalog.py).
"""

from __future__ import annotations

from stacks.catalog import aws, gcp
from stacks.catalog.base import D, ResourceType

# Built by Pulumi only (Terraform takes the image reference as a variable instead).
BUILDS: dict[str, ResourceType] = {
    "docker-build:index:Image": ResourceType(tf=None, icon=D + "onprem.container.Docker"),
}

CATALOGS: dict[str, dict[str, ResourceType]] = {"aws": aws.TYPES, "gcp": gcp.TYPES, "docker-build": BUILDS}


def lookup(token: str) -> ResourceType | None:
    """The catalog entry of a Pulumi type token, or None when stacks does not know the type."""
    return CATALOGS.get(token.partition(":")[0], {}).get(token)
