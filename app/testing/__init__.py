"""Development helpers shared by tests and benchmarks; nothing here runs in production.

`local_server` starts ``panel serve`` on a free loopback port, `headless_chromium`
says how the browser tests launch Debian's chromium, and `mock_cluster` drives
librdkafka's in-process mock Kafka cluster.
"""
