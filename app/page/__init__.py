"""One browser page: its shell, its session of plots, the status and key browser,
layouts, and what keeps a slow browser live.
"""
