"""Use cases: the only place that combines io, domain and method."""

# the search index follows every flush of the rows it indexes, so its listener is in place
# before any use case can write (services/search.py)
from natrisk.services import search as search
