"""dbt tests: a random history loaded once per module, built as at a date in-process on chDB."""
