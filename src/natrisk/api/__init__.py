"""The web API (FastAPI): JSON over HTTP, OpenAPI at /docs, one error shape."""
