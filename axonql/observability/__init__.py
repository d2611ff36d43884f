"""Observability: Prometheus metrics, OpenTelemetry tracing and structured logs."""
