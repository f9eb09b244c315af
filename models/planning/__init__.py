"""From scores to a plan: travel times, the travel network, services within reach, the plan.

``travel`` (one-way days, estimated or the planners' table), ``network`` (roads, rivers,
trails and flights), ``services`` (days to the nearest service), and the monthly plan:
``plan`` (the entry point, :func:`~models.planning.plan.plan_inspections`), ``trips``
(exploration draw, naive plan, the optimiser), ``tables`` (the plan's tables), ``printable``
(the printed page, filled from ``templates/``) and ``columns`` (the plan's column names).
"""
