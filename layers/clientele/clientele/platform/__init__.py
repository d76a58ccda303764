"""Cross-cutting infrastructure: configuration, AWS clients, clock, ids, crypto, observability."""
