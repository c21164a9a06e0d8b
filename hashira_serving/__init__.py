"""The request-time layer: what the app, the REST API and the CLI's answering commands call.

It reads only what the graph published (silver/gold tables, materialized asset files, MLflow
champions, the LanceDB index, the app database) and owns the caching and champion refresh.
"""
