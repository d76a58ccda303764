"""Powertools Logger, Metrics and Tracer shared by every function.

Logs carry IDs only (merchant, customer, request); never names, emails or phones.
"""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

# Most requests add no metric (a page, a read): that is normal, not worth a warning on every invocation.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

logger = Logger()
metrics = Metrics()
# Only botocore is patched: auto-patching every library X-Ray knows imports them all at cold start.
tracer = Tracer(patch_modules=["botocore"])
