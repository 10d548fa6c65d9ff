"""What a security policy over a plan is: a function ``plan -> [Violation]``, and the secret patterns they share.

The AWS policies (``stacks.plan.policies``) and the GCP and hybrid ones (``stacks.plan.gcp_policies``) both
build on this module, so the registry in ``stacks.plan.policies`` can import the GCP policies without either
module importing the other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from stacks.plan.core import Plan

SECRET_VALUE = re.compile(
    r"(AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|xox[baprs]-[0-9A-Za-z-]{10,}"
    r"|ghp_[0-9A-Za-z]{30,}|sk_live_[0-9A-Za-z]{16,})"
)
SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|ACCESS_KEY)", re.I)


@dataclass(frozen=True)
class Violation:
    policy: str
    resource: str
    message: str

    def __str__(self) -> str:
        return f"{self.policy}: {self.resource}: {self.message}"


Policy = Callable[[Plan], Iterator[Violation]]
