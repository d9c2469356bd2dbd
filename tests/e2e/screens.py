"""Every screen of the real Herald window (WebKitGTK under Xvfb, via tauri-driver), in both themes
and at three window sizes, against a real herald-server — issue 6, "Look".

For each theme (light, dark) and window size (800x600, the default 1100x720, 1920x1080) it opens
every screen the way a person does (clicks only): home, chat list, room, notification center,
notifications page, friend requests, settings, user menu, and the login screen after signing
out. At each it checks that nothing overflows the window: the page never scrolls sideways and
every popover, panel and toast lies inside the window. Screenshots of the real X window go to
<artifacts>/screens/<theme>-<size>-<screen>.png (every screen at the default size, two at the
other sizes, and any screen whose check fails).

Usage (the e2e_screens gate of scripts/test.sh):
  dbus-run-session -- xvfb-run -a -s "-screen 0 1920x1200x24" \\
      python3 tests/e2e/screens.py <herald-desktop> <herald-server> <artifacts dir>
Prints `screens e2e: N passed, N failed`.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from desktop import Checks, Herald, free_port, fresh_env, herald_windows, stop, wait_until  # noqa: E402
from ui import Ui  # noqa: E402

SIZES = [(800, 600), (1100, 720), (1920, 1080)]
THEMES = ["light", "dark"]
# Screenshots kept at the other sizes too (the README shows them).
EXTRA_SHOTS = {("light", 800, 600, "room"), ("dark", 1920, 1080, "home")}

# Each screen: what a person clicks to get there (after closing everything), and what shows it.
SCREENS = {
    "home": ([], "[data-testid=home]"),
    "chat-list": (["[data-testid=chat-button]"], "[data-testid=room-list]"),
    "room": (["[data-testid=chat-button]", "[data-testid=room-row]"],
             "[data-testid=room-pane] [data-testid=message]"),
    "notification-center": (["[data-testid=bell-button]"], "[data-testid=notification-center]"),
    "notifications-page": (["[data-testid=bell-button]", "[data-testid=see-all]"],
                           "[data-testid=notifications-page] [data-testid=notification]"),
    "friend-requests": (["[data-testid=user-button]", "[data-testid=menu-friends]"],
                        "[data-testid=friends-page]"),
    "settings": (["[data-testid=user-button]", "[data-testid=menu-settings]"],
                 "[data-testid=settings-page]"),
    "user-menu": (["[data-testid=user-button]"], "[data-testid=user-menu]"),
}

# Elements that float over the page: each must lie inside the window.
FLOATING = ["chat-panel", "notification-center", "user-menu", "toasts", "nav-bar"]

OVERFLOW = """
const w = window.innerWidth, h = window.innerHeight, bad = [];
if (document.documentElement.scrollWidth > w + 1) bad.push('page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + w);
for (const id of arguments[0]) {
  for (const e of document.querySelectorAll('[data-testid=' + id + ']')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < -1 || r.top < -1 || r.right > w + 1 || r.bottom > h + 1)
      bad.push(id + ' at ' + [r.left, r.top, r.right, r.bottom].map(Math.round).join(',') + ' outside ' + w + 'x' + h);
  }
}
return bad;
"""


def shot(path):
    wids = herald_windows(visible_only=True)
    if not wids:
        return None
    subprocess.run(["xdotool", "windowactivate", "--sync", str(wids[0])], timeout=10, capture_output=True)
    time.sleep(0.8)
    subprocess.run(["import", "-window", str(wids[0]), path], check=True, timeout=30, capture_output=True)
    return path


def resize(width, height):
    for wid in herald_windows(visible_only=True):
        subprocess.run(["xdotool", "windowsize", "--sync", str(wid), str(width), str(height)],
                       timeout=10, capture_output=True)
        subprocess.run(["xdotool", "windowmove", "--sync", str(wid), "0", "0"], timeout=10, capture_output=True)


def main():
    app, server_bin, artifacts = (os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]),
                                  os.path.abspath(sys.argv[3]))
    out = os.path.join(artifacts, "screens")
    os.makedirs(out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="herald-screens-")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = fresh_env(os.path.join(tmp, "home"), url)
    server = subprocess.Popen([server_bin, "demo", "--bind", f"127.0.0.1:{port}", "--database",
                               os.path.join(tmp, "demo.db"), "--tick-secs", "3600"],
                              stdout=open(os.path.join(artifacts, "screens-server.log"), "w"),
                              stderr=subprocess.STDOUT, start_new_session=True)
    herald = None
    # `retry`: a screen check opens its screen from scratch, so a real overflow fails both times.
    check = Checks("screens e2e")

    try:
        wait_until("server", lambda: urllib.request.urlopen(f"{url}/healthz", timeout=5).status == 200, 30)
        herald = Herald(app, env, artifacts, "screens")
        ui = Ui(herald)

        def close_all():
            # Esc closes the popover, then the panel (the app's own keys).
            for _ in range(3):
                ui.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}));"
                      "window.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}));")
                time.sleep(0.1)
            if ui.count("[data-testid=chat-panel]"):
                ui.click("[data-testid=panel-close]")
            ui.click("[data-testid=brand]")

        def open_screen(name):
            close_all()
            clicks, shown = SCREENS[name]
            for css in clicks:
                ui.click(css)
            ui.el(shown)
            time.sleep(0.4)

        def set_theme(theme):
            settings = herald.invoke({"cmd": "get_settings"})
            herald.invoke({"cmd": "set_settings", "settings": dict(settings, theme=theme)})
            wait_until(f"theme {theme}", lambda: ui.js(
                "return document.documentElement.getAttribute('data-theme');") == theme, timeout=10)

        def sign_in():
            ui.type("[data-testid=login-username]", "alice")
            ui.type("[data-testid=login-password]", "herald")
            ui.click("[data-testid=login-submit]")
            wait_until("connected", lambda: herald.view()["connection"]["state"] == "connected", 30)
            ui.el("[data-testid=nav-bar]")
            return "connected"

        check("sign in through the form", sign_in)
        for theme in THEMES:
            set_theme(theme)
            for (w, h) in SIZES:
                resize(w, h)
                wait_until(f"window {w}x{h}", lambda: abs(ui.js("return window.innerWidth;") - w) <= 2, timeout=10)
                for name in SCREENS:
                    def look(name=name, w=w, h=h):
                        open_screen(name)
                        bad = ui.js(OVERFLOW, FLOATING)
                        tag = f"{theme}-{w}x{h}-{name}"
                        if bad or (w, h) == (1100, 720) or (theme, w, h, name) in EXTRA_SHOTS:
                            shot(os.path.join(out, f"{tag}.png"))
                        assert not bad, bad
                        return "fits"
                    check(f"{theme} {w}x{h} {name}", look, retry=True)
            resize(1100, 720)

        def settings_say_why_closing_minimizes_without_a_tray_host():
            # No StatusNotifier host runs here (the sni_watcher stand-in is desktop.py's), so
            # the Desktop section must say that closing minimizes instead of hiding.
            set_theme("dark")
            open_screen("settings")
            text = ui.js("const e = document.querySelector('[data-testid=set-tray]');"
                         "e.scrollIntoView({block: 'center'});"
                         "return (e.closest('.setting') || e.parentElement).innerText;")
            time.sleep(0.4)
            shot(os.path.join(out, "dark-1100x720-settings-no-tray.png"))
            assert "minimizes" in text, text
            return {"hint": text.strip()}

        check("settings without a tray host say closing minimizes", settings_say_why_closing_minimizes_without_a_tray_host)

        def login_screen():
            close_all()
            ui.click("[data-testid=user-button]")
            ui.click("[data-testid=menu-sign-out]")
            ui.el("[data-testid=login-submit]")
            shots = []
            for theme in THEMES:
                set_theme(theme)
                for (w, h) in SIZES:
                    resize(w, h)
                    time.sleep(0.6)
                    bad = ui.js(OVERFLOW, ["login-submit", "login-server"])
                    assert not bad, (theme, w, h, bad)
                resize(1100, 720)
                shots.append(shot(os.path.join(out, f"{theme}-1100x720-login.png")))
            return {"screenshots": len([s for s in shots if s])}

        check("login screen fits at every size, both themes", login_screen)
    finally:
        if herald is not None:
            herald.quit()
        stop(server, signal.SIGINT)
        shutil.rmtree(tmp, ignore_errors=True)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
