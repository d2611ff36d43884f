"""Query and mutation logic per entity; DataLoaders in `loaders`."""
