"""The local stack: Dockerfiles and docker-compose profiles generated from stacks.yaml.

``local`` holds the registry of what each component kind becomes under compose and
plans the stack as plain data; ``render`` lays it out through the Jinja2 templates
in ``templates/`` (its ``render(project)`` is the `compose` generator); ``lint`` runs
the real validators (compose-spec schema, the Compose binary, hadolint, checkov).
"""
