"""Hosted signup: the QR code at the till, the signup page and the kiosk mode."""
