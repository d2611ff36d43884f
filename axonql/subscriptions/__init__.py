"""Real-time: the event log, per-instance fan-out, and the streams subscriptions read."""
