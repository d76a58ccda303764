"""Entities, value objects and domain errors. Pure: no I/O."""
