"""FAQ knowledge base: entries in faq/nl and faq/fr, multilingual embeddings, FAISS search."""
