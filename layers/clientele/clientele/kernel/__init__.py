"""The shared kernel: errors, ids, clock, money, the principal and its permissions, contact details and
their keyed hashes, and every signed link. Pure: no I/O, no AWS."""
