"""Clientele: the customer list for counter-service merchants.

One package per bounded context (``account``, ``customers``, ``sales``, ``messaging``, ``signup``,
``privacy``, ``erasure``), each with the same inner shape (``schemas``, ``model``, ``service``,
``repository``, ``wiring``), over shared code: ``kernel`` (pure rules and values), ``platform`` (AWS
adapters and configuration), ``storage`` (the DynamoDB table), ``http`` (the API edge) and ``rendering``.
docs/architecture.md draws the map; import-linter keeps the dependencies one-directional.
"""
