"""The data quality dashboard."""
