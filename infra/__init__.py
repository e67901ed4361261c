"""Configuration and start-up of the platform's services: settings, brokers, warehouse, CLI."""
