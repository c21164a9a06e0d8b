"""HashiraMart's REST API (FastAPI): the design documents' endpoints over the serving layer."""
