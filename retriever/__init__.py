"""API retrieval for toolbench-kit: documents, encoders, dense / BM25 / hybrid indexes, training.

>>> from retriever import build_index, load_index
"""

from retriever.indexes import Index, build_index, load_index

__all__ = ["Index", "build_index", "load_index"]
