"""REST compatibility: the five legacy APIs as route tables over the one GraphQL schema."""
