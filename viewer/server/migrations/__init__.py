"""Alembic migrations of the server database (run by `spoolview server migrate`)."""
