"""Use cases: the only place that combines io, domain and method."""

from natrisk.store import hooks

# the search index follows every flush of the rows it indexes (services/search.py); its
# listener is in place as soon as a database is opened, before any use case can write
hooks.when_opened("natrisk.services.search")
