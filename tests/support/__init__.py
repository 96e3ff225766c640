"""Helpers the tests and benchmarks share (never installed): a throwaway PostGIS cluster, local services."""
