"""spoolview: the viewer application, its mail road, relay service and application server."""

__version__ = "0.1.0"
