"""The application server (FastAPI): connected mode, directory and send endpoints."""
