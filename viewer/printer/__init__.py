"""The local printer queue: a CUPS backend and the commands that install it."""
