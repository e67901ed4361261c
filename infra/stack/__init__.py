"""The embedded stack as one command: ``safeguarding demo`` (and, later, ``safeguarding up``)."""
