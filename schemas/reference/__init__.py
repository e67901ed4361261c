"""Reference data the contract refers to, copied into the project (never read from ../shared)."""
