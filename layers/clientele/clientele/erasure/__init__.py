"""Erasure: one service behind every way to erase a customer's data."""
