"""Sub-commands of the spoolview CLI, one module per feature."""
