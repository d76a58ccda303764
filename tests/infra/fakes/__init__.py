"""Tiny handlers for the local stack's own tests; each records what it received."""
