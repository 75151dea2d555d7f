"""Recording what the dashboard applies, and replaying it (decisions 098, 099, 019).

The wing sits beside the data wing: it imports the sources and the root only,
and the ingestion imports it.
"""
