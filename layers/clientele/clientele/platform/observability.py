"""Powertools Logger, Metrics and Tracer shared by every function.

Logs carry IDs only (merchant, customer, request); never names, emails or phones.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
metrics = Metrics()
tracer = Tracer()
