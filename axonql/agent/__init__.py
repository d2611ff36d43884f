"""The reference agent: a worker that takes tasks through AxonQL's public GraphQL API."""
