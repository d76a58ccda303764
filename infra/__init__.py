"""Tooling around template.yaml: the local stack (infra.local) and operator scripts."""
