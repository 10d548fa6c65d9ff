"""Architecture diagrams and the docs page, projected from the validated model.

Pipeline: ``Project`` -> view projection -> ``GraphSpec`` (plain dataclasses) ->
the one renderer (``diagrams`` + Graphviz) -> PNG and SVG bytes -> ``Artifact``s.

Modules:

- ``spec``: ``GraphSpec``, ``Cluster``, ``Node``, ``Edge``: what a view returns.
- ``registry``: ``VIEWS`` (name -> ``View``), ``ViewContext``, ``project_views``.
- ``logical``: the five logical views (system, containers, dataflow, development,
  deployment).
- ``cloud``: the compact drawing the aws/gcp/hybrid views use: ``owners``/``compact`` give each supporting resource
  to the main resource it belongs to (through the plan's references),
  ``resource_node``/``merged_node``/``list_node``/``table_node`` draw them (an
  icon with a list under it: ``Node.rows``/``Node.heading``; the resources a node
  stands for: ``Node.members``), ``drawn(spec)`` maps each resource to its node
  and raises if one is drawn twice or not shown.
- ``nodes``: one table per target (``KIND_TABLES``: logical, compose, aws, gcp)
  from ``(kind, technology)`` to a ``diagrams`` node class and product name, and
  ``RESOURCE_TABLES`` from cloud resource types (Pulumi type tokens) to node classes.
- ``render``: spec -> DOT -> PNG/SVG, deterministic, icons inlined in SVGs,
  views rendered in parallel.
- ``generate``: the ``diagrams`` generator and ``stacks diagrams``.
- ``docs``: the ``docs`` generator, ``SECTIONS`` (the page's section registry).

Adding a view (e.g. ``aws``)::

    # architecture/registry.py, in VIEWS:
    View("aws", "AWS", "What the aws stack deploys, grouped by component.",
         "architecture.aws_view:aws_view"),

    # the projection: pure, (ViewContext) -> GraphSpec | None (None: nothing to draw)
    def aws_view(ctx: ViewContext) -> GraphSpec | None:
        plan = ctx.plans["aws-prod"]  # the build's plan: planned once, shared with every renderer
        nodes = tuple(Node(r.name, r.name, resource_icon(r.type)) for r in plan.resources)
        return GraphSpec(ctx.name, ctx.title, "What aws-prod deploys.", ctx.direction, nodes=nodes)

``ctx`` carries the project, the view's name, resolved title and direction (from
``views.settings.<view>`` or ``views.direction``), excluded components, for views
registered with ``uses_ranks=True`` the model's rank groups, and ``plans``: the
build's plan stage (each cloud deployable planned once per build). Node and
cluster ids must be unique in a spec; edges join nodes only. The view is
rendered to ``<views.output>/diagrams/<name>.png`` and ``.svg`` and gets a section
in the docs page automatically once ``views.include`` lists it (it does by default).
Icons: a resource type's icon is its entry in the provider catalog (``stacks/catalog``).

Adding a docs page section: one ``DocSection(id, title, order, "module:function")``
in ``architecture.docs.SECTIONS``; the function takes a ``DocContext`` (project,
view specs, ``render(template, **values)`` over ``templates/``, ``deployments``)
and returns Markdown, or None to leave the section out.
"""
