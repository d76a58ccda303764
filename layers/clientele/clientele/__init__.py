"""Clientele: the customer list for counter-service merchants.

Layers, from the edge inwards (enforced by import-linter):
``api`` (HTTP edge) -> ``services`` (rules) -> ``repositories`` (DynamoDB) ->
``domain`` (entities, errors) -> ``platform`` (config, AWS clients, crypto).
"""
