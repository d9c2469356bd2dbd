#!/usr/bin/env python3
"""Starts one compat backend in this process:

    $VENV/bin/python tests/compat/run.py <001|002|003|004> --port P --data DIR

001, 003, 004 are Django Channels apps under daphne (SQLite at DIR/db.sqlite3, migrated at
start); 002 is python-socketio on aiohttp (DIR/state.json). An empty DIR is seeded; a DIR with
state keeps it. Prints `READY <port>` once the port accepts connections; runs until SIGTERM.
The server runs in this very process, so killing it (even with SIGKILL) stops it all.
"""
import argparse
import importlib
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DJANGO_APPS = {"001": "seed001", "003": "artchive", "004": "ecleaner"}


def ready(port):
    print(f"READY {port}", flush=True)


def serve_django(app, port, data):
    import daphne.server  # first: it installs Twisted's asyncio reactor

    sys.path.insert(0, str(HERE / "django_backends"))
    os.environ["HERALD_COMPAT_APP"] = app
    os.environ["HERALD_COMPAT_DATA"] = str(data)
    os.environ["DJANGO_SETTINGS_MODULE"] = "herald_compat.settings"
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0, interactive=False)
    if not User.objects.exists():
        with transaction.atomic():
            importlib.import_module(f"{app}.seed").seed()
    connection.close()  # the server's DB thread opens its own

    from daphne.endpoints import build_endpoint_description_strings

    from herald_compat.asgi import application

    daphne.server.Server(
        application=application,
        endpoints=build_endpoint_description_strings(host="127.0.0.1", port=port),
        ready_callable=lambda: ready(port),  # called only after the listen succeeded
        signal_handlers=True,
        verbosity=0,
    ).run()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("seed", choices=["001", "002", "003", "004"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--data", type=Path, required=True)
    a = p.parse_args()
    a.data.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(HERE))
    if a.seed == "002":
        import ventree

        ventree.serve(a.port, a.data.resolve(), on_ready=lambda: ready(a.port))
    else:
        serve_django(DJANGO_APPS[a.seed], a.port, a.data.resolve())


if __name__ == "__main__":
    main()
