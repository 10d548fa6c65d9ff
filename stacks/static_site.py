"""What every target serves a static frontend with: its security headers and the API its API path reaches.

A frontend with ``static:`` is built into files and served from object storage behind a CDN (or
nginx under compose); requests under its ``api_path`` go to the API it connects to. The headers
here are the same on every target, so the CSP a browser enforces does not depend on where the
site runs; the planners and the compose stand-in write them into their own configuration.
"""

from __future__ import annotations

from stacks.model import Frontend, Service, StacksFile, StaticSite

HSTS_MAX_AGE = 31536000  # one year, with subdomains and preload: the site is served over HTTPS only
FRAME_OPTIONS = "DENY"
REFERRER_POLICY = "strict-origin-when-cross-origin"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def security_headers(site: StaticSite) -> dict[str, str]:
    """Header -> value, on every response of the site (the API path's included)."""
    return {
        "Content-Security-Policy": site.csp,
        "Strict-Transport-Security": f"max-age={HSTS_MAX_AGE}; includeSubDomains; preload",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": FRAME_OPTIONS,
        "Referrer-Policy": REFERRER_POLICY,
        "Permissions-Policy": PERMISSIONS_POLICY,
    }


def static_site(model: StacksFile, cid: str) -> StaticSite:
    """The ``static:`` settings of frontend ``cid``."""
    comp = model.components[cid]
    if not isinstance(comp, Frontend) or comp.static is None:
        raise LookupError(f"{cid} is not a static frontend")
    return comp.static


def api_of(model: StacksFile, cid: str) -> str | None:
    """The API static frontend ``cid`` sends its API path to: the service it calls (a request connection)."""
    for conn in model.connections:
        if conn.from_ != cid or conn.flow != "request":
            continue
        callee = model.components.get(conn.to)
        if callee is not None and callee.kind in ("service", "frontend") and callee.mode == "":
            return conn.to
    return None


def api_port(model: StacksFile, api: str) -> int:
    """The port the API ``api`` listens on (what a local proxy forwards to)."""
    comp = model.components[api]
    if not isinstance(comp, Service | Frontend):
        raise LookupError(f"{api} serves no HTTP port")
    return comp.port
