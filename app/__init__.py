"""A live-data dashboard for neutron-scattering instruments.

Data flows through the wings in order: `app.sources` (where messages come
from) -> `app.ingestion` (one per server process) -> `app.data` (the
DataService) -> `app.plotters` (subscribers that draw) -> `app.page` (one
browser page). The root holds the entry scripts and what every wing shares
(docs/design.md, "Where the code lives").
"""
