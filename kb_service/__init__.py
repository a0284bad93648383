"""Kestrel knowledge service: help-centre articles, embeddings, a FAISS index and hybrid search."""

from kb_service.app import create_app
from kb_service.config import Settings

__all__ = ["Settings", "create_app"]
