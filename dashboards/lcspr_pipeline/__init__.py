"""The lcspr pipeline dashboard."""
