"""Groups: system groups, Regulars and Lapsed, custom smart groups and manual groups, kept current by each
sale (a ``SaleRecorded`` consumer) and by a daily run for the changes that time alone causes."""
