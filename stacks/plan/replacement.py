"""Which input changes make the cloud replace a resource instead of updating it in place.

One table per provider (``aws``, ``gcp``), keyed by the Pulumi type token the
planners emit, listing the top-level inputs the provider marks ``ForceNew``
(Terraform) / ``replaceOnChanges`` (Pulumi): physical names, engines, network
placement, encryption keys. ``stacks diff`` flags a changed resource whose changed
inputs start with one of these as "replaced": the old one is deleted (with its
data, for a database or a bucket) and a new one is created.

The facts live in the provider catalogs (``stacks/catalog``, each entry's
``replaced_by``); this module reads them. A type without ``replaced_by`` is reported
as an in-place update: the catalog errs towards naming what it knows.
"""

from __future__ import annotations

from stacks import catalog

AWS: dict[str, frozenset[str]] = {t: f.replaced_by for t, f in catalog.aws.TYPES.items() if f.replaced_by}

GCP: dict[str, frozenset[str]] = {t: f.replaced_by for t, f in catalog.gcp.TYPES.items() if f.replaced_by}

FORCES_REPLACEMENT: dict[str, frozenset[str]] = {**AWS, **GCP}


def replacing_inputs(type_: str, changed_paths: list[str]) -> tuple[str, ...]:
    """The inputs among the changed paths (``engine``, ``vpc_config.subnet_ids``) that make ``type_`` be replaced."""
    forcing = FORCES_REPLACEMENT.get(type_, frozenset())
    tops = (p.split(".", 1)[0].split("[", 1)[0] for p in changed_paths)
    return tuple(sorted({top for top in tops if top in forcing}))
