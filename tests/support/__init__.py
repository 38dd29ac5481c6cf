"""Shared test helpers: real servers on loopback, certificates, sample paths."""
