"""Recording what the dashboard applies, replaying it, and restoring it at a
restart (decisions 098, 099, 019, 028).

The wing sits beside the data wing: it imports the sources and the root only,
and the ingestion imports it.
"""
