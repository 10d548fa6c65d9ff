# generated from stacks.yaml by `stacks build`, do not edit
"""The Pulumi program (`pulumi up -s <stack>-<environment>` here): the plan of ../stacks.yaml."""

from stacks.runner import main

main()
