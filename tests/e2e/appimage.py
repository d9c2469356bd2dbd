"""Herald's AppImage, tried as a person on another distribution would: on a machine without
WebKitGTK. The image runs in a private mount namespace in which this machine's libwebkit2gtk,
libjavascriptcoregtk and WebKit's helper processes are hidden (bound over with /dev/null and an
empty tmpfs), so everything WebKit needs must come from the image itself.

Checks: the file's format (ELF + AppImage magic + squashfs where --appimage-offset says), what
--appimage-extract unpacks (AppRun, desktop entry, icon, the app marked as an AppImage build with
its RUNPATH, no library the host must provide), then, without the host's WebKit: sign in, be
connected, receive a message, and every Herald and WebKit process runs from the unpacked image
with no host WebKit library mapped. A screenshot of the window goes to the artifacts dir.

Usage: dbus-run-session -- xvfb-run -a python3 tests/e2e/appimage.py <Herald.AppImage> <herald-server> <artifacts>
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
from desktop import Checks, Herald, free_port, fresh_env, http, stop, wait_until  # noqa: E402

LIBDIR = "/usr/lib/x86_64-linux-gnu"
HIDE_WEBKIT = f"""
set -e
for f in {LIBDIR}/libwebkit2gtk-4.1.so.0.* {LIBDIR}/libjavascriptcoregtk-4.1.so.0.*; do
  mount --bind /dev/null "$f"
done
mount -t tmpfs tmpfs {LIBDIR}/webkit2gtk-4.1
exec "$@"
"""
# Libraries that must come from the host (scripts/appimage.py's excludelist), a sample.
HOST_ONLY = ["libc.so.6", "libstdc++.so.6", "libGL.so.1", "libEGL.so.1", "libX11.so.6",
             "libfontconfig.so.1", "libwayland-client.so.0"]


def without_host_webkit():
    """The command prefix of a private mount namespace without the host's WebKitGTK."""
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return ["unshare", *user, "--mount", "--propagation", "private", "sh", "-c", HIDE_WEBKIT,
            "without-host-webkit"]


def processes_under(prefix):
    """(pid, exe) of every process whose executable lies under `prefix`."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            continue
        if exe.startswith(prefix):
            found.append((int(pid), exe))
    return found


def main():
    image, server_bin, artifacts = (os.path.abspath(a) for a in sys.argv[1:4])
    os.makedirs(artifacts, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="herald-appimage-")
    home = os.path.join(tmp, "home")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = fresh_env(home, url)
    env["HERALD_APPIMAGE_QUIET"] = "1"
    cache = os.path.join(env["XDG_CACHE_HOME"], "herald-appimage")
    check = Checks("appimage e2e")

    def is_an_appimage():
        with open(image, "rb") as f:
            head = f.read(16)
        assert head[:4] == b"\x7fELF" and head[8:11] == b"AI\x02", head
        offset = int(subprocess.run([image, "--appimage-offset"], capture_output=True, text=True,
                                    check=True, timeout=30).stdout)
        with open(image, "rb") as f:
            f.seek(offset)
            assert f.read(4) == b"hsqs", "no squashfs superblock at the offset"
        return {"bytes": os.path.getsize(image), "payload_offset": offset}

    def extract_holds_the_app():
        work = os.path.join(tmp, "extract")
        os.makedirs(work)
        subprocess.run([image, "--appimage-extract"], cwd=work, check=True, timeout=300,
                       capture_output=True)
        root = os.path.join(work, "squashfs-root")
        for want in ["AppRun", "Herald.desktop", "herald-desktop.png", ".DirIcon", "usr/bin/herald-desktop",
                     "usr/lib/libwebkit2gtk-4.1.so.0",
                     "usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/WebKitWebProcess",
                     "usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/WebKitNetworkProcess",
                     "usr/lib/libayatana-appindicator3.so.1"]:
            assert os.path.exists(os.path.join(root, want)), f"missing {want}"
        assert os.access(os.path.join(root, "AppRun"), os.X_OK)
        binary = os.path.join(root, "usr/bin/herald-desktop")
        with open(binary, "rb") as f:
            data = f.read()
        assert b"__TAURI_BUNDLE_TYPE_VAR_APP" in data, "the binary is not marked as an AppImage build"
        dynamic = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
        assert "[$ORIGIN/../lib]" in dynamic, dynamic
        bundled = [lib for lib in HOST_ONLY if os.path.exists(os.path.join(root, "usr/lib", lib))]
        assert not bundled, f"host-only libraries bundled: {bundled}"
        libs = len(os.listdir(os.path.join(root, "usr/lib")))
        shutil.rmtree(work, ignore_errors=True)
        return {"usr/lib entries": libs}

    def the_namespace_really_hides_webkit():
        # The control: in the namespace, the host's WebKitGTK cannot be loaded.
        r = subprocess.run([*without_host_webkit(), "python3", "-c",
                            "import ctypes; ctypes.CDLL('libwebkit2gtk-4.1.so.0')"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode != 0, "libwebkit2gtk still loads inside the namespace"
        return r.stderr.strip().splitlines()[-1][:160]

    check("the file is an ELF with the AppImage magic and a squashfs at its offset", is_an_appimage)
    check("--appimage-extract holds AppRun, entry, icon, WebKit and the app marked as an AppImage",
          extract_holds_the_app)
    check("the test namespace hides the host's WebKitGTK", the_namespace_really_hides_webkit)

    server_log = open(os.path.join(artifacts, "appimage-server.log"), "w")
    server = subprocess.Popen([server_bin, "demo", "--bind", f"127.0.0.1:{port}", "--database",
                               os.path.join(tmp, "demo.db"), "--tick-secs", "3600"],
                              stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True)
    herald = None
    try:
        wait_until("server", lambda: urllib.request.urlopen(f"{url}/healthz", timeout=5).status == 200, 30)
        herald = Herald(image, env, artifacts, "appimage", wrap=without_host_webkit())
        bob = http("POST", f"{url}/api/login", {"username": "bob", "password": "herald"})["token"]
        rooms = {r["name"]: r["id"] for r in http("GET", f"{url}/api/rooms", token=bob)}
        room = rooms["Job #12"]

        def signs_in_and_connects():
            assert herald.invoke({"cmd": "login", "server_url": url, "username": "alice",
                                  "password": "herald"}) == {"reply": "ack"}
            v = wait_until("connected with rooms", lambda: (lambda v: v if v["connection"]["state"] == "connected"
                                                              and v["rooms"] else None)(herald.view()), timeout=60)
            return [r["room"]["name"] for r in v["rooms"]]

        def a_message_arrives():
            herald.invoke({"cmd": "open_room", "room_id": room})
            http("POST", f"{url}/api/rooms/{room}/messages", {"text": "appimage: hello from bob"}, token=bob)
            wait_until("the message in the view", lambda: any(
                m["text"] == "appimage: hello from bob" for m in herald.view()["messages"]), timeout=20)
            return "received"

        def everything_runs_from_the_image():
            procs = wait_until("Herald's processes", lambda: (lambda p: p if len(p) >= 3 else None)(
                processes_under(cache)), timeout=20)
            names = sorted(os.path.basename(exe) for _, exe in procs)
            for want in ["herald-desktop", "WebKitWebProcess", "WebKitNetworkProcess"]:
                assert want in names, f"{want} not running from the image: {names}"
            for pid, exe in procs:
                with open(f"/proc/{pid}/maps") as f:
                    host = [l.split()[-1] for l in f if f"{LIBDIR}/libwebkit2gtk" in l
                            or f"{LIBDIR}/libjavascriptcoregtk" in l]
                assert not host, f"{exe} maps the host's {sorted(set(host))}"
            return names

        check("without the host's WebKit: signs in and is connected", signs_in_and_connects)
        check("without the host's WebKit: a message from bob arrives in the open room", a_message_arrives)
        check("every Herald and WebKit process runs from the unpacked image, no host WebKit mapped",
              everything_runs_from_the_image)
        subprocess.run(["import", "-window", "root", os.path.join(artifacts, "appimage-screen.png")],
                       check=False, timeout=30, capture_output=True)
    finally:
        if herald is not None:
            herald.quit()
        stop(server, signal.SIGINT)
        shutil.rmtree(tmp, ignore_errors=True)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
