"""The who is harmed dashboard."""
