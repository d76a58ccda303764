"""The HTTP edge shared by the functions: the merchant API resolver and its error mapping, hosted-page
helpers, the base of API schemas, and idempotent POSTs."""
