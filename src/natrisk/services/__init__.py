"""Use cases: the only place that combines io, domain and method."""
