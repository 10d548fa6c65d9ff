"""stacks: one stacks.yaml -> diagrams, docs, compose files and cloud stacks (see ``stacks.bundle`` for the layout)."""

from stacks.bundle import install_aliases

install_aliases()
