"""The national overview dashboard."""
