"""DynamoDB repositories: the only code that knows table keys and calls boto3 for data.

Every key layout here is listed in docs/data-model.md.
"""
