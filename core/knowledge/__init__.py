"""Retrieval with ChromaDB: the product's help pages and each account's campaigns."""
