"""The local area dashboard."""
