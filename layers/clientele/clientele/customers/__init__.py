"""The customer list: customers, their contact guards, consent and marketing choices, notes, audit trail."""
