"""Pulumi entry point (`cd deploy && pulumi up -s aws-prod`): wiring only, the work is in deploy.program."""

from deploy.program import main

main()
