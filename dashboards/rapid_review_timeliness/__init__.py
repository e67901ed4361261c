"""The rapid review timeliness dashboard."""
