"""Messages to customers: the delivery pipeline (SQS, SES, SNS), each message kind, and receipts."""
