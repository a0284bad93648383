"""HTTP routes, one module per area; each stays thin and calls into the knowledge base."""
