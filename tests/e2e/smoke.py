"""Real-window smoke test: the built Herald app under Xvfb, driven through tauri-driver.

Asserts that the Yew shell rendered in the real WebKitGTK webview and that the first IPC
round trip (`dispatch(app_info)`) was answered by the Rust core.

Usage: python3 tests/e2e/smoke.py <path to herald-desktop binary> <artifacts dir>
Expects DISPLAY to point at an X server and tauri-driver on PATH.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from webdriver import Session  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    app, artifacts = os.path.abspath(sys.argv[1]), sys.argv[2]
    os.makedirs(artifacts, exist_ok=True)
    port, native_port = free_port(), free_port()
    driver_log = open(os.path.join(artifacts, "tauri-driver.log"), "w")
    # A throw-away profile: the test never touches a real one.
    profile = tempfile.mkdtemp(prefix="herald-smoke-")
    env = dict(os.environ, HERALD_PROFILE_DIR=profile)
    driver = subprocess.Popen(
        [shutil.which("tauri-driver") or "tauri-driver", "--port", str(port), "--native-port", str(native_port)],
        stdout=driver_log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    passed, failed = 0, 0
    session = None
    try:
        session = Session(f"http://127.0.0.1:{port}", {
            "browserName": "wry",
            "tauri:options": {"application": app},
        })
        checks = [
            ("shell renders the Herald header",
             lambda: session.wait_text("[data-testid=brand]", lambda t: t.strip() == "Herald")),
            ("core answers the app_info command",
             lambda: session.wait_text("[data-testid=core-status]", lambda t: "protocol v1" in t)),
        ]
        for name, check in checks:
            try:
                got = check()
                print(f"PASS {name}: {got!r}")
                passed += 1
            except Exception as e:  # report every check, then fail
                print(f"FAIL {name}: {e}")
                failed += 1
        time.sleep(0.5)
        # The X server's picture, not WebDriver's: WebKit's snapshot API (behind WebDriver's
        # screenshot) never answers with compositing off, which the app sets (src-tauri/src/webview.rs).
        subprocess.run(["import", "-window", "root", os.path.join(artifacts, "smoke-screen.png")],
                       check=False, timeout=30)
    finally:
        if session is not None:
            session.close()
        try:
            os.killpg(driver.pid, signal.SIGTERM)
            driver.wait(timeout=10)
        except Exception:
            os.killpg(driver.pid, signal.SIGKILL)
        shutil.rmtree(profile, ignore_errors=True)
    print(f"e2e smoke: {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
