"""Secrets that must never appear as values: in stacks.yaml (``literal_problem``) or in a generated file (``scan``).

stacks.yaml holds references to secrets, never their values; a generated file holds
none either. These checks catch what slips through anyway: a credential inside a URL,
a random-looking token where a secret's name belongs, a cloud access key or a private key.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from stacks.artifacts import Artifact

# scheme://user:password@host, where the password is a literal (not ${VAR}, $$(cat file) or a <placeholder>).
CREDENTIAL_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s/:@'\"]*:(?![$<{])[^\s/@'\"]+@", re.I)
ACCESS_KEY = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
GOOGLE_KEY = re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")
TOKEN_MIN_LENGTH = 16
TOKEN_MIN_ENTROPY = 3.0  # bits per character: words and ids stay below, random tokens above


def entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_random(part: str) -> bool:
    """A long run of letters mixed with digits and close to random: a token, not a name."""
    return (
        len(part) >= TOKEN_MIN_LENGTH
        and any(c.isdigit() for c in part)
        and any(c.isalpha() for c in part)
        and entropy(part) >= TOKEN_MIN_ENTROPY
    )


def literal_problem(ref: str) -> str | None:
    """Why a value under ``secrets:`` looks like the secret itself rather than its name, or None."""
    if CREDENTIAL_URL.search(ref):
        return "is a URL with a password in it"
    if any(looks_random(part) for part in re.split(r"[/_.-]", ref)):
        return "looks like a secret value (a long random token), not the name of a secret"
    return None


def credential_in_url(value: str) -> bool:
    return bool(CREDENTIAL_URL.search(value))


def scan(artifacts: Iterable[Artifact]) -> list[str]:
    """``path:line: what`` for every credential-looking string in the generated text files."""
    found = []
    for art in artifacts:
        try:
            text = art.content.decode("utf-8")
        except UnicodeDecodeError:
            continue  # images: the diagrams carry labels, never values
        for number, line in enumerate(text.splitlines(), 1):
            for pattern, what in (
                (CREDENTIAL_URL, "a URL with a password"),
                (ACCESS_KEY, "an AWS access key id"),
                (GOOGLE_KEY, "a Google API key"),
                (PRIVATE_KEY, "a private key"),
            ):
                if pattern.search(line):
                    found.append(f"{art.path}:{number}: {what}")
    return found
