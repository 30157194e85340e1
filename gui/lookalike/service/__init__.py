"""Lookalike's HTTP service: Aspose.Imaging Cloud's v3.0 image-search API over the engine.

``create_app`` builds the FastAPI application; ``run_server`` (``lookalike serve``) runs it.
"""
