"""Domain behaviour that is neither schema nor storage."""
