"""The process's ingestion: a source drained into the DataService by the
Orchestrator's thread, with what every page reads of it (status, key activity).
"""
