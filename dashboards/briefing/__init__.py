"""The quarterly learning briefing: the dashboards' panel definitions, run against the marts
and drawn into one self-contained, accessible, printable HTML file."""
