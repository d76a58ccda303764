"""Intake forms: the merchant's questionnaires, the links that ask a customer to fill one in, their answers."""
