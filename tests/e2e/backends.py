"""The real Herald window against the backends teams already run (issue 11): the Socket.IO shop
backend of seed 002 and the Django Channels job chat of seed 004, both the stand-ins from
tests/compat/ (real python-socketio / daphne servers), signed in to through the sign-in form's
backend choice. Only the UI is clicked and typed into; IPC is used to read state for assertions,
the backends' own /_test/state for what they stored. Every wait is bounded.

Usage (the e2e_backends gate of scripts/test.sh):
  dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" \\
      python3 tests/e2e/backends.py <herald-desktop> <artifacts dir>
Prints `backends e2e: N passed, N failed`.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from desktop import Checks, Herald, Notifications, free_port, fresh_env, stop, wait_until  # noqa: E402
from ui import Ui, screenshot  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ENTER = "\ue007"


def venv_python():
    venv = os.environ.get("HERALD_COMPAT_VENV") or os.path.expanduser("~/.cache/herald/compat-venv")
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        raise SystemExit(f"no compat venv at {venv}: run bash tests/compat/setup.sh")
    return py


class Backend:
    """One seed backend from tests/compat as a child process on loopback."""

    def __init__(self, seed, tmp, artifacts):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log = open(os.path.join(artifacts, f"backends-{seed}.log"), "w")
        self.proc = subprocess.Popen(
            [venv_python(), os.path.join(ROOT, "tests/compat/run.py"), seed, "--port", str(self.port),
             "--data", os.path.join(tmp, f"backend-{seed}")],
            stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("READY"):
                return
            if not line and self.proc.poll() is not None:
                break
        raise SystemExit(f"backend {seed} did not start; see backends-{seed}.log")

    def call(self, method, path, body=None):
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=20) as resp:
            raw = resp.read()
            return json.loads(raw) if raw else None

    def state(self, user):
        return self.call("GET", f"/_test/state?user={user}")

    def stop(self):
        stop(self.proc)


def main():
    app, artifacts = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(artifacts, exist_ok=True)
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        print("backends e2e needs a session bus: run under dbus-run-session")
        print("backends e2e: 0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="herald-backends-e2e-")
    ventree = Backend("002", tmp, artifacts)
    ecleaner = Backend("004", tmp, artifacts)
    env = fresh_env(os.path.join(tmp, "home"), ventree.url)
    dunst = subprocess.Popen(["dunst"], stdout=open(os.path.join(artifacts, "backends-dunst.log"), "w"),
                             stderr=subprocess.STDOUT, env=env, start_new_session=True)
    wait_until("dunst on the bus", lambda: "boolean true" in subprocess.run(
        ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
         "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.Notifications"],
        capture_output=True, text=True, timeout=5).stdout, timeout=15)
    notes = Notifications(os.path.join(artifacts, "backends-dbus-notify.log"))
    herald = None
    check = Checks("backends e2e", on_fail=lambda n: screenshot(artifacts, f"backends-fail-{n}.png"))
    try:
        herald = Herald(app, env, artifacts, "backends")
        ui = Ui(herald)

        def choose_backend(name):
            ui.el("[data-testid=login-backend]", timeout=30)
            ui.js("const s = document.querySelector('[data-testid=login-backend]'); s.value = arguments[0];"
                  "s.dispatchEvent(new Event('change', {bubbles: true}));", name)

        def sign_in(server, backend, user):
            ui.el("[data-testid=login-username]", timeout=30)
            choose_backend(backend)
            ui.type("[data-testid=login-server]", server)
            ui.type("[data-testid=login-username]", user)
            ui.type("[data-testid=login-password]", "password")
            ui.click("[data-testid=login-submit]")
            ui.el("[data-testid=nav-bar]", timeout=30)
            return wait_until("connected", lambda: (lambda v: v if v["connection"]["state"] == "connected"
                                                    else None)(herald.view()), timeout=30)

        def sign_in_to_ventree():
            ui.el("[data-testid=login-backend]", timeout=30)
            choose_backend("ventree")
            label = wait_until("the username field says Email", lambda: "Email" in (ui.js(
                "return document.querySelector('[data-testid=login-username]').closest('label').textContent;")
                or "") and "Email", timeout=5)
            v = sign_in(ventree.url, "ventree", "alice@example.com")
            badge = wait_until("the bell badge shows 2", lambda: ui.badge("[data-testid=bell-badge]") == 2 and 2,
                               timeout=15)
            assert ui.count("[data-testid=chat-button]") == 0, "a backend without chat shows no chat button"
            kind = ui.text_of("[data-testid=conn-backend]")
            assert kind == "ventree", kind
            pill = ui.js("return document.querySelector('[data-testid=conn-pill]').title;")
            assert "refetches" in pill, pill
            return {"label": label, "notifications": len(v["notifications"]), "bell": badge, "pill": pill}

        def low_stock_toasts_and_notifies():
            before = len(notes.notify_calls())
            ventree.call("POST", "/_test/emit", {"shopId": "s2", "type": "low_stock", "title": "Low stock: Milk",
                                                  "message": "3 left in Harbour", "meta": {"productName": "Milk"}})
            toast = wait_until("a toast with View", lambda: (lambda t: t if t and "Low stock: Milk" in t else None)(
                ui.js("return Array.from(document.querySelectorAll('[data-testid=toast]'))"
                      ".map(e => e.textContent).join(' | ');")), timeout=15, interval=0.1)
            assert ui.count("[data-testid=toast-view]") >= 1, "no View on the toast"
            calls = wait_until("a Notify call on D-Bus", lambda: [c for c in notes.notify_calls()[before:]
                                                                 if c[1] == "Low stock: Milk"], timeout=15)
            badge = wait_until("the bell badge shows 3", lambda: ui.badge("[data-testid=bell-badge]") == 3 and 3,
                               timeout=10)
            screenshot(artifacts, "backends-ventree-toast.png")
            return {"toast": toast[:80], "notify": calls[0], "bell": badge}

        def mark_all_read_reaches_the_backend():
            ui.click("[data-testid=bell-button]")
            ui.el("[data-testid=notification-center]")
            screenshot(artifacts, "backends-ventree-center.png")
            ui.click("[data-testid=mark-all-read]")
            st = wait_until("every notification read in the backend", lambda: (lambda s: s if all(
                n["isRead"] for n in s["notifications"]) else None)(ventree.state("u1")), timeout=20)
            wait_until("the bell badge gone", lambda: ui.badge("[data-testid=bell-badge]") == 0, timeout=10)
            ui.click("[data-testid=bell-button]")
            return {"backend": len(st["notifications"])}

        def detect_the_backend_from_its_address():
            ui.click("[data-testid=user-button]")
            ui.click("[data-testid=menu-sign-out]")
            ui.el("[data-testid=login-submit]", timeout=20)
            choose_backend("herald")
            ui.type("[data-testid=login-server]", ecleaner.url)
            ui.click("[data-testid=login-detect]")
            said = wait_until("the detection's answer", lambda: ui.text_of("[data-testid=login-detect-result]"),
                              timeout=20)
            assert "E-Cleaner" in said, said
            chosen = ui.js("return document.querySelector('[data-testid=login-backend]').value;")
            assert chosen == "ecleaner", chosen
            screenshot(artifacts, "backends-detect.png")
            return {"said": said, "chosen": chosen}

        def sign_in_to_ecleaner():
            v = sign_in(ecleaner.url, "ecleaner", "alice")
            ui.click("[data-testid=chat-button]")
            ui.el("[data-testid=chat-panel]")
            rows = wait_until("the job rooms", lambda: ui.count("[data-testid=room-row]") == 2 and 2, timeout=15)
            badge = ui.badge("[data-testid=room-row][data-room='5'] [data-testid=room-badge]")
            assert badge == 2, badge
            assert ui.count("[data-testid=bell-button]") == 0, "a backend without notifications shows no bell"
            screenshot(artifacts, "backends-ecleaner-rooms.png")
            return {"rows": rows, "job5_badge": badge, "rooms": [r["room"]["name"] for r in v["rooms"]]}

        def chat_in_a_job_room():
            before = ecleaner.state("alice")["messages_count"]
            ui.click("[data-testid=room-row][data-room='5']")
            ui.el("[data-testid=room-pane][data-room='5']")
            ecleaner.call("POST", "/_test/message", {"room_id": 5, "sender": "bob", "content": "Arriving at 9"})
            wait_until("bob's message in the room", lambda: "Arriving at 9" in (
                ui.text_of("[data-testid=messages]") or ""), timeout=15)
            ui.type("[data-testid=composer-input]", "See you then")
            ui.type("[data-testid=composer-input]", ENTER, clear=False)
            wait_until("alice's message stored once", lambda: ecleaner.state("alice")["messages_count"] == before + 2,
                       timeout=20)
            wait_until("alice's message delivered", lambda: any(
                m["text"] == "See you then" and m["delivery"]["state"] == "sent"
                for m in herald.view()["messages"]), timeout=15)
            screenshot(artifacts, "backends-ecleaner-room.png")
            return {"stored": ecleaner.state("alice")["messages_count"] - before}

        check("sign in to a Socket.IO backend (ventree) through the form", sign_in_to_ventree)
        check("a low-stock event -> toast with View, native notification, bell badge", low_stock_toasts_and_notifies)
        check("mark all read in the notification center reaches the backend", mark_all_read_reaches_the_backend)
        check("sign out; Detect names the E-Cleaner backend from its address and preselects it",
              detect_the_backend_from_its_address)
        check("sign in to a Django Channels job chat (ecleaner): rooms with unread", sign_in_to_ecleaner)
        check("bob's message shows in the open job room; alice's reply is stored once", chat_in_a_job_room)
    finally:
        if herald is not None:
            herald.quit()
        ventree.stop()
        ecleaner.stop()
        stop(notes.proc)
        stop(dunst)
        shutil.rmtree(tmp, ignore_errors=True)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
