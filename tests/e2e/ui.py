"""UI end-to-end test: the real Herald window (WebKitGTK under Xvfb, via tauri-driver) driven
through its markup (data-testid / aria labels) against a real herald-server — issue 6, "Tests".

Only the UI is clicked and typed into; IPC (`dispatch`) is used solely to read state for
assertions. Every wait is bounded.

Usage (the e2e_ui gate of scripts/test.sh):
  dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" \\
      python3 tests/e2e/ui.py <herald-desktop> <herald-server> <artifacts dir>
Prints `ui e2e: N passed, N failed`.
"""

import http.client as http_client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from desktop import Checks, Herald, free_port, fresh_env, herald_windows, http, stop, wait_until  # noqa: E402

JWT_SECRET = "ui-e2e-secret-0123456789abcdef"
SERVICE_KEY = "ui-e2e-service-key-0123456789"
ENTER = "\ue007"


class Ui:
    """Markup-level helpers on top of the WebDriver session."""

    def __init__(self, herald):
        self.h = herald
        self.s = herald.session

    def el(self, css, timeout=15):
        return wait_until(f"element {css}", lambda: self.s.find(css), timeout=timeout)

    def click(self, css, timeout=15):
        self.s.click(self.el(css, timeout))

    def type(self, css, text, clear=True):
        e = self.el(css)
        if clear:
            self.s.cmd("POST", f"/element/{e}/clear", {})
        self.s.cmd("POST", f"/element/{e}/value", {"text": text})

    def js(self, script, *args):
        """Read-only scripts: retried once if the driver drops the connection (seen under load)."""
        try:
            return self.s.execute(script, args)
        except (ConnectionError, http_client.HTTPException) as e:
            print(f"  (webdriver connection dropped: {e!r}; retrying once)", flush=True)
            time.sleep(1)
            return self.s.execute(script, args)

    def count(self, css):
        return self.js("return document.querySelectorAll(arguments[0]).length;", css)

    def text_of(self, css):
        return self.js("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", css)

    def badge(self, css):
        """A badge's number (0 when hidden; 99+ -> 100)."""
        t = self.text_of(css)
        if not t:
            return 0
        t = t.strip()
        return 100 if t == "99+" else int(t)


def screenshot(artifacts, name):
    """The real X window as Xvfb shows it (not WebDriver's render), without dunst's popups."""
    path = os.path.join(artifacts, name)
    subprocess.run(["dunstctl", "close-all"], timeout=10, capture_output=True)
    for wid in herald_windows(visible_only=True):  # make sure the window is on top and painted
        subprocess.run(["xdotool", "windowactivate", "--sync", str(wid)], timeout=10, capture_output=True)
    time.sleep(1.5)
    subprocess.run(["import", "-window", "root", path], check=True, timeout=30,
                   capture_output=True)
    return path


def main():
    app, server_bin, artifacts = (os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]),
                                  os.path.abspath(sys.argv[3]))
    os.makedirs(artifacts, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="herald-ui-e2e-")
    home = os.path.join(tmp, "home")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = fresh_env(home, url)
    db = os.path.join(tmp, "demo.db")
    server_log = open(os.path.join(artifacts, "ui-server.log"), "w")

    def start_server():
        # Same secrets both times, so the app's token stays valid across the restart.
        proc = subprocess.Popen([server_bin, "demo", "--bind", f"127.0.0.1:{port}", "--database", db,
                                 "--tick-secs", "3600", "--jwt-secret", JWT_SECRET,
                                 "--service-key", SERVICE_KEY],
                                stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True)

        def healthy():
            assert proc.poll() is None, "the server exited; see ui-server.log"
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as resp:
                return resp.status == 200
        wait_until("the server's /healthz", healthy, timeout=30)
        return proc

    server = start_server()
    # A notification daemon on the private bus (as desktop.py): without one, D-Bus activation
    # spawns dunst without DISPLAY, it dies, and the app's Notify call fails.
    # Its popups go to the screen's bottom-right corner, outside the 1100x720 window, so they
    # never cover (and leave unrepainted) a part of the window in the screenshots.
    dunstrc = os.path.join(tmp, "dunstrc")
    with open(dunstrc, "w") as f:
        f.write("[global]\norigin = bottom-right\noffset = 5x5\nwidth = 160\nheight = 60\n"
                "notification_limit = 1\n")
    dunst = subprocess.Popen(["dunst", "-config", dunstrc], stdout=open(os.path.join(artifacts, "ui-dunst.log"), "w"),
                             stderr=subprocess.STDOUT, env=env, start_new_session=True)
    wait_until("dunst on the bus", lambda: "boolean true" in subprocess.run(
        ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
         "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.Notifications"],
        capture_output=True, text=True, timeout=5).stdout, timeout=15)
    bob = http("POST", f"{url}/api/login", {"username": "bob", "password": "herald"})["token"]
    rooms = {r["name"]: r["id"] for r in http("GET", f"{url}/api/rooms", token=bob)}
    job5, job12 = rooms["Job #5"], rooms["Job #12"]

    def bob_says(room, text):
        http("POST", f"{url}/api/rooms/{room}/messages", {"text": text}, token=bob)

    # The demo's 40 messages of Job #12 fit in one history page (50): add 30 more so that
    # opening the room loads a page and scrolling up has older messages to fetch.
    for i in range(30):
        bob_says(job12, f"ui-e2e: history filler {i + 1}")
    job12_total = 70

    # More notifications than a snapshot carries (100): the notifications page must page back
    # to the oldest ones through the server as it scrolls.
    older_notes = 130
    for i in range(older_notes):
        http("POST", f"{url}/api/publish", {"to": {"users": ["alice"]}, "kind": "sale_completed",
                                             "title": f"ui-e2e: order #{1000 + i} paid",
                                             "body": "€12.00 by card"}, token=SERVICE_KEY)
    demo_notes = len(http("GET", f"{url}/api/notifications?limit=500",
                          token=http("POST", f"{url}/api/login",
                                     {"username": "alice", "password": "herald"})["token"])["items"])

    state = {}
    herald = None
    check = Checks("ui e2e", on_fail=lambda n: screenshot(artifacts, f"ui-fail-{n}.png"))

    try:
        herald = Herald(app, env, artifacts, "ui")
        ui = Ui(herald)

        def room_unread(room_id):
            return next(r["room"]["unread_count"] for r in herald.view()["rooms"] if r["room"]["id"] == room_id)

        def login_through_the_form():
            ui.el("[data-testid=login-username]", timeout=30)
            # The form may render before the core's first view arrives (the shell starts off the
            # main thread) and shows the default server until then: wait for the prefill itself.
            prefilled = wait_until(f"server URL prefilled with {url}", lambda: (lambda v: v if v and v.rstrip("/") == url else None)(ui.js(
                "const e = document.querySelector('[data-testid=login-server]'); return e && e.value;")), timeout=10)
            ui.type("[data-testid=login-username]", "alice")
            ui.type("[data-testid=login-password]", "herald")
            ui.click("[data-testid=login-submit]")
            ui.el("[data-testid=nav-bar]", timeout=20)
            v = wait_until("connected with rooms", lambda: (lambda v: v if v["connection"]["state"] == "connected"
                                                              and len(v["rooms"]) >= 3 else None)(herald.view()),
                           timeout=20)
            assert v["session"]["state"] == "signed_in", v["session"]
            return {"prefilled": prefilled, "rooms": [r["room"]["name"] for r in v["rooms"]]}

        def chat_panel_lists_rooms():
            ui.click("[data-testid=chat-button]")
            ui.el("[data-testid=chat-panel]")
            n = wait_until("room rows", lambda: ui.count("[data-testid=room-row]") >= 3 and
                           ui.count("[data-testid=room-row]"), timeout=10)
            time.sleep(1)  # let fonts/layout settle for the screenshot
            state["shot_chat"] = screenshot(artifacts, "ui-chat-panel.png")
            return {"rows": n}

        def message_elsewhere_raises_badge_and_toasts():
            before = ui.badge("[data-testid=chat-badge]")
            state["chat_badge_before"] = before
            text = "ui-e2e: tiles arrive at noon"
            bob_says(job5, text)
            toast = wait_until("a toast with the message", lambda: (lambda t: t if t and text in t else None)(
                ui.js("return Array.from(document.querySelectorAll('[data-testid=toast]'))"
                      ".map(e => e.textContent).join(' | ');")), timeout=15, interval=0.1)
            after = wait_until("the chat badge rises", lambda: (lambda n: n if n > before else None)(
                ui.badge("[data-testid=chat-badge]")), timeout=10)
            row_badge = ui.badge(f"[data-testid=room-row][data-room='{job5}'] [data-testid=room-badge]")
            assert row_badge >= 1, row_badge
            return {"chat_badge": [before, after], "job5_row_badge": row_badge, "toast": toast}

        def opening_the_room_clears_its_badge():
            before = ui.badge("[data-testid=chat-badge]")
            unread = room_unread(job5)
            assert unread >= 1, unread
            ui.click(f"[data-testid=room-row][data-room='{job5}']")
            ui.el(f"[data-testid=room-pane][data-room='{job5}']")
            wait_until("the message shows in the room", lambda: "tiles arrive at noon" in (
                ui.text_of("[data-testid=messages]") or ""), timeout=10)
            after = wait_until("the chat badge falls", lambda: (lambda n: (n,) if n <= before - unread else None)(
                ui.badge("[data-testid=chat-badge]")), timeout=10)[0]
            wait_until("unread 0 in the engine", lambda: room_unread(job5) == 0, timeout=10)
            ui.click("[data-testid=room-back]")
            ui.el(f"[data-testid=room-row][data-room='{job5}']")
            row_badge = ui.badge(f"[data-testid=room-row][data-room='{job5}'] [data-testid=room-badge]")
            assert row_badge == 0, row_badge
            return {"chat_badge": [before, after], "job5_row_badge": row_badge}

        def scrolling_up_loads_older():
            ui.click(f"[data-testid=room-row][data-room='{job12}']")
            ui.el(f"[data-testid=room-pane][data-room='{job12}']")
            # Wait for the first history page (50 of 70) to be rendered and stable.
            last = {"n": -1, "t": time.monotonic()}

            def settled():
                n = ui.count("[data-testid=message]")
                if n != last["n"]:
                    last.update(n=n, t=time.monotonic())
                return n >= 50 and time.monotonic() - last["t"] > 1.5 and n
            first = wait_until("the first history page rendered", settled, timeout=20)
            assert first < job12_total, f"all {first} rows already rendered: nothing older to load"
            seen = [first]

            def more():
                ui.js("const m = document.querySelector('[data-testid=messages]'); m.scrollTop = 0;"
                      "m.dispatchEvent(new Event('scroll'));")
                n = ui.count("[data-testid=message]")
                seen.append(n)
                return n > first and n
            n = wait_until("more message rows after scrolling up", more, timeout=20, interval=0.5)
            n = wait_until("all history rendered", lambda: (lambda n: n >= job12_total and n)(more()), timeout=20,
                           interval=0.5)
            return {"rows_before": first, "rows_after": n,
                    "engine_messages": len(herald.view()["messages"])}

        def notification_center_opens():
            # The chat panel covers the popover (see the report), so close it for the screenshot.
            ui.click("[data-testid=chat-button]")
            wait_until("the chat panel closes", lambda: ui.count("[data-testid=chat-panel]") == 0, timeout=5)
            ui.click("[data-testid=bell-button]")
            ui.el("[data-testid=notification-center]")
            time.sleep(1)
            state["shot_notes"] = screenshot(artifacts, "ui-notification-center.png")
            items = ui.count("[data-testid=notification-center] li")
            ui.click("[data-testid=bell-button]")
            wait_until("the popover closes", lambda: ui.count("[data-testid=notification-center]") == 0, timeout=5)
            ui.click("[data-testid=chat-button]")
            ui.click(f"[data-testid=room-row][data-room='{job12}']")
            return {"items": items}

        def send_offline_is_pending():
            nonlocal server
            stop(server, signal.SIGINT)
            server = None
            wait_until("the app sees the server gone", lambda: herald.view()["connection"]["state"] != "connected",
                       timeout=30)
            ui.el(f"[data-testid=room-pane][data-room='{job12}']")
            text = "ui-e2e: sent while offline"
            state["offline_text"] = text
            ui.type("[data-testid=composer-input]", text + ENTER, clear=True)
            wait_until("the composer is emptied", lambda: ui.js(
                "return document.querySelector('[data-testid=composer-input]').value;") == "", timeout=5)
            pending = wait_until("a pending (clock) own message", lambda: ui.js(
                "return Array.from(document.querySelectorAll('[data-testid=message]')).filter(m =>"
                " m.textContent.includes(arguments[0]) && m.querySelector('[data-testid=pending]')).length;", text),
                timeout=10)
            return {"pending_rows": pending, "connection": herald.view()["connection"]["state"]}

        def sent_after_server_returns():
            nonlocal server
            text = state["offline_text"]
            server = start_server()
            wait_until("connected again", lambda: herald.view()["connection"]["state"] == "connected", timeout=60,
                       interval=0.5)
            wait_until("the clock goes away", lambda: ui.js(
                "const r = Array.from(document.querySelectorAll('[data-testid=message]'))"
                ".filter(m => m.textContent.includes(arguments[0]));"
                "return r.length === 1 && !r[0].querySelector('[data-testid=pending], [data-testid=failed]');",
                text), timeout=30)
            delivery = [m["delivery"] for m in herald.view()["messages"] if m["text"] == text]
            got = http("GET", f"{url}/api/rooms/{job12}/messages", token=bob)
            msgs = got["items"]
            on_server = [m for m in msgs if m.get("text") == text]
            assert len(on_server) == 1, on_server
            return {"delivery": delivery, "on_server": len(on_server)}

        def notifications_page_pages_back_to_the_oldest():
            ui.click("[data-testid=chat-button]")
            wait_until("the chat panel closes", lambda: ui.count("[data-testid=chat-panel]") == 0, timeout=5)
            ui.click("[data-testid=bell-button]")
            ui.click("[data-testid=see-all]")
            ui.el("[data-testid=notifications-page]")
            held_at_open = len(herald.view()["notifications"])

            def at_the_end():
                ui.js("const v = document.querySelector('[data-testid=notifications-viewport]');"
                      "v.scrollTop = v.scrollHeight; v.dispatchEvent(new Event('scroll'));")
                return ui.count("[data-testid=notifications-end]") == 1

            wait_until("the end of the notifications", at_the_end, timeout=30, interval=0.5)
            held = len(herald.view()["notifications"])
            assert held == demo_notes, (held, demo_notes)
            state["shot_page"] = screenshot(artifacts, "ui-notifications-page.png")
            return {"held_at_open": held_at_open, "held_at_end": held, "on_server": demo_notes}

        check("login through the form (prefilled server, alice/herald) connects", login_through_the_form)
        check("chat button opens the panel with the demo rooms", chat_panel_lists_rooms)
        check("bob writes in a room that is not open -> chat badge rises, toast appears",
              message_elsewhere_raises_badge_and_toasts)
        check("opening that room from the chat panel clears its badge", opening_the_room_clears_its_badge)
        check("scrolling the message list up loads older messages (Job #12)", scrolling_up_loads_older)
        check("bell opens the notification center", notification_center_opens)
        check("server down: Enter in the composer -> message pending (clock)", send_offline_is_pending)
        check("server back on the same DB -> the message becomes sent", sent_after_server_returns)
        check("notifications page: scrolling to its end loads older ones from the server",
              notifications_page_pages_back_to_the_oldest)
        try:
            screenshot(artifacts, "ui-final.png")
        except Exception:
            pass
        try:
            state["windows"] = herald_windows(visible_only=True)
        except Exception:
            pass
    finally:
        if herald is not None:
            herald.quit()
        stop(server, signal.SIGINT)
        stop(dunst)
        shutil.rmtree(tmp, ignore_errors=True)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
