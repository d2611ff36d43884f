"""Strawberry types, inputs, enums and the one Schema object."""
