"""Loyalty: the program, accounts found by phone at the till, points that accrue once per sale, rewards, the ledger."""
