"""DynamoDB storage shared by every context: the table, cursors, transactions of named operations, the
partitions that several contexts write into, and rate limits."""
