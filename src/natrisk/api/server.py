"""The web processes: uvicorn serving the app, in one process or in several.

With ``workers`` above one, uvicorn's supervisor starts that many processes on one listening
socket and starts a new one when one dies. Each process builds its own app from the
environment (the parent has migrated the database already), and nothing a process keeps in
memory can go stale: cached views are keyed on the edition's version in the database,
sessions and CSRF tokens are rows and HMACs of the database's key, and the sign-in limit is
counted in the database (``services/signins.py``, migration 0009).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass

from fastapi import FastAPI

URL_VARIABLE = "NATRISK_DATABASE_URL"
SUPERVISOR_VARIABLE = "NATRISK_SERVE_SUPERVISOR"  # set by run() for the web processes it starts
FACTORY = "natrisk.api.server:app_from_environment"


@dataclass(frozen=True)
class Listen:
    """Where and how the web processes listen."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    proxies: str = ""  # addresses whose X-Forwarded-For is believed; empty: none


def app_from_environment() -> FastAPI:
    """The app of one web process: the database named by NATRISK_DATABASE_URL, migrated."""
    from natrisk.api.app import create_app
    from natrisk.store.database import Database

    _stop_with_parent()
    return create_app(Database(os.environ[URL_VARIABLE], upgrade=False))


def _stop_with_parent() -> None:
    """End this process when the one that started it is gone (``kill -9`` of the supervisor),
    so no orphan keeps serving on the port."""
    parent = os.getppid()
    if str(parent) != os.environ.get(SUPERVISOR_VARIABLE):
        return  # one process, or not started by natrisk serve: nothing to watch

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="natrisk-parent-watch", daemon=True).start()


def run(url: str, listen: Listen) -> None:
    """Serve the app on ``url`` until stopped (SIGINT or SIGTERM end every web process)."""
    import uvicorn

    os.environ[URL_VARIABLE] = url  # what the web processes read (they are new interpreters)
    if listen.workers > 1:
        os.environ[SUPERVISOR_VARIABLE] = str(os.getpid())
    # forwarded headers only from named proxies: uvicorn would otherwise believe any client
    # on 127.0.0.1, who could then choose the address the sign-in limit counts
    uvicorn.run(
        FACTORY,
        factory=True,
        host=listen.host,
        port=listen.port,
        workers=listen.workers,
        log_level="warning",
        # longer than a reverse proxy keeps idle upstream connections (nginx: 60 s), so the
        # server never closes a connection that a client is about to reuse
        timeout_keep_alive=75,
        proxy_headers=bool(listen.proxies),
        forwarded_allow_ips=listen.proxies or None,
    )
