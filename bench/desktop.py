"""Desktop benchmark: memory, start-up time and idle CPU of the real Herald app (a release build,
WebKitGTK under Xvfb) against a real herald-server, with an empty profile and with a profile
holding 10k cached messages + 1k notifications.

What it measures, per profile (the app started directly, no WebDriver attached; start-up is
measured over --starts fresh processes and the median reported, as a 2-core machine is noisy;
memory and CPU on the last of them):
  - first view: process spawn -> the UI has its first view (cached state, before any network),
    from the app's own `startup:` log line (time since `run` began) and from the outside
    (spawn until that line appears, including exec and dynamic linking);
  - connected: the same for the first live connection;
  - RSS, PSS and USS of the app and every WebKit process it spawned, idle and connected;
  - CPU seconds used by all of them over an idle window (default 60 s).

Usage (numbers go to the README's Performance section):
  dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" \\
      python3 bench/desktop.py <herald-desktop> <herald-server> <out dir> \\
      [--messages 10000] [--notifications 1000] [--idle-secs 60] [--starts 5]
Writes <out dir>/desktop-bench.json and prints a Markdown table. Loopback only.
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import signal
import statistics
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from desktop import Herald, free_port, fresh_env, http, stop, wait_until  # noqa: E402

SERVICE_KEY = "bench-service-key-0123456789abcdef"
JWT_SECRET = "bench-jwt-secret-0123456789abcdef"


def tree(pid):
    """The pid and every descendant (WebKit's web and network processes)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return pids


def memory(pid):
    rows, rss, pss, uss = [], 0, 0, 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/comm") as f:
                comm = f.read().strip()
            with open(f"/proc/{p}/smaps_rollup") as f:
                fields = {l.split(":")[0]: int(l.split()[1]) for l in f
                          if l.split(":")[0] in ("Rss", "Pss", "Private_Clean", "Private_Dirty")}
        except OSError:
            continue
        private = fields["Private_Clean"] + fields["Private_Dirty"]
        rows.append({"process": comm, "rss_mb": round(fields["Rss"] / 1024, 1),
                     "pss_mb": round(fields["Pss"] / 1024, 1), "uss_mb": round(private / 1024, 1)})
        rss += fields["Rss"]
        pss += fields["Pss"]
        uss += private
    # RSS counts every shared library in full in each process; PSS splits shared pages between
    # the processes mapping them; USS is what only these processes hold (their own heaps).
    return {"rss_mb": round(rss / 1024, 1), "pss_mb": round(pss / 1024, 1),
            "uss_mb": round(uss / 1024, 1), "processes": rows}


def cpu_seconds(pid):
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / tick


MILESTONES = ("shell started", "UI running (first command)", "first view served to the UI", "connected")


def startup_ms(log_path, offset, what):
    """The ms of the `startup: <what> after N ms` line written after `offset`, or None."""
    try:
        with open(log_path, errors="replace") as f:
            f.seek(offset)
            for line in f:
                marker = f"startup: {what} after "
                if marker in line:
                    return int(line.split(marker, 1)[1].split()[0])
    except OSError:
        pass
    return None


def start_once(app, env, log_path, label):
    """Starts the app and waits for its start-up milestones; returns (process, {milestone: (ms in
    app, ms from spawn)}, the `startup:` breakdown lines)."""
    offset = os.path.getsize(log_path) if os.path.exists(log_path) else 0
    t0 = time.monotonic()
    proc = subprocess.Popen([app], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    seen = {}
    deadline = t0 + 60
    while time.monotonic() < deadline and len(seen) < len(MILESTONES):
        for what in MILESTONES:
            if what not in seen:
                ms = startup_ms(log_path, offset, what)
                if ms is not None:
                    seen[what] = (ms, round((time.monotonic() - t0) * 1000))
        time.sleep(0.01)
    if len(seen) < len(MILESTONES):
        stop(proc)
        raise SystemExit(f"{label}: start-up lines missing after 60 s (seen {seen}); see {log_path}")
    with open(log_path, errors="replace") as f:
        f.seek(offset)
        breakdown = [l.split("startup: ", 1)[1].strip() for l in f if "startup: " in l]
    return proc, seen, breakdown


def quit_app(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        stop(proc, signal.SIGKILL)


def measure(app, env, log_path, idle_secs, label, starts, load=None):
    """Start-up `starts` times (the median is reported: a 2-core machine is noisy), then memory
    and idle CPU of the last start."""
    runs = []
    for i in range(starts):
        proc, seen, breakdown = start_once(app, env, log_path, label)
        runs.append({"seen": seen, "breakdown": breakdown})
        if i < starts - 1:
            quit_app(proc)
            time.sleep(1)
    time.sleep(10)  # settle: WebKit finishes its start-up work
    mem = memory(proc.pid)
    c0 = cpu_seconds(proc.pid)
    time.sleep(idle_secs)
    cpu = cpu_seconds(proc.pid) - c0

    def median(what, i):
        return statistics.median(r["seen"][what][i] for r in runs)

    result = {
        "profile": label,
        "starts": starts,
        "shell_started_ms_in_app": median("shell started", 0),
        "ui_running_ms_in_app": median("UI running (first command)", 0),
        "first_view_ms_in_app": median("first view served to the UI", 0),
        "first_view_ms_from_spawn": median("first view served to the UI", 1),
        "connected_ms_in_app": median("connected", 0),
        "connected_ms_from_spawn": median("connected", 1),
        "first_view_ms_each_start": [r["seen"]["first view served to the UI"][0] for r in runs],
        "startup_lines_each_start": [r["breakdown"] for r in runs],
        "idle_connected": mem,
        "idle_cpu_seconds": round(cpu, 2),
        "idle_cpu_percent": round(100 * cpu / idle_secs, 2),
        "idle_window_s": idle_secs,
    }
    if load is not None:
        load()
    quit_app(proc)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("app")
    ap.add_argument("server")
    ap.add_argument("out")
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--notifications", type=int, default=1_000)
    ap.add_argument("--idle-secs", type=int, default=60)
    ap.add_argument("--starts", type=int, default=5, help="start-ups per profile (median reported)")
    a = ap.parse_args()
    app, server_bin, out = os.path.abspath(a.app), os.path.abspath(a.server), os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="herald-bench-")
    home = os.path.join(tmp, "home")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = fresh_env(home, url)
    profile = os.path.join(env["XDG_DATA_HOME"], "dev.herald.desktop")
    log_path = os.path.join(profile, "logs", "herald.log")
    server_log = open(os.path.join(out, "bench-server.log"), "w")
    server = subprocess.Popen(
        [server_bin, "demo", "--bind", f"127.0.0.1:{port}", "--database", os.path.join(tmp, "demo.db"),
         "--tick-secs", "3600", "--jwt-secret", JWT_SECRET, "--service-key", SERVICE_KEY,
         "--send-rate", "100000", "--send-burst", "100000"],
        stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True)
    results = []
    try:
        wait_until("server", lambda: urllib.request.urlopen(f"{url}/healthz", timeout=5).status == 200, 30)
        # Sign in once through the real window (as a person would), then quit.
        herald = Herald(app, env, out, "bench-login")
        herald.invoke({"cmd": "login", "server_url": url, "username": "alice", "password": "herald"})
        wait_until("connected", lambda: herald.view()["connection"]["state"] == "connected", 30)
        herald.quit()
        time.sleep(2)

        bob = http("POST", f"{url}/api/login", {"username": "bob", "password": "herald"})["token"]
        rooms = [r["id"] for r in http("GET", f"{url}/api/rooms", token=bob)]

        def load():
            t = time.monotonic()

            def say(i):
                http("POST", f"{url}/api/rooms/{rooms[i % len(rooms)]}/messages",
                     {"text": f"bench message {i}: the quick brown fox jumps over the lazy dog"}, token=bob)

            def publish(i):
                http("POST", f"{url}/api/publish", {"to": {"users": ["alice"]}, "kind": "low_stock",
                                                     "title": f"Low stock #{i}", "body": "Only 3 left of Blue Mug"},
                     token=SERVICE_KEY)

            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                list(pool.map(say, range(a.messages)))
                list(pool.map(publish, range(a.notifications)))
            db = os.path.join(profile, "herald.sqlite3")

            def cached():
                c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
                try:
                    m = c.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
                    n = c.execute("SELECT COUNT(*) FROM notifications").fetchone()[0]
                finally:
                    c.close()
                return (m, n) if m >= a.messages and n >= a.notifications else None

            got = wait_until("the app cached the load", cached, timeout=600, interval=1)
            print(f"loaded {got[0]} messages, {got[1]} notifications into the profile in "
                  f"{time.monotonic() - t:.1f} s", flush=True)

        results.append(measure(app, env, log_path, a.idle_secs, "demo data only", a.starts, load=load))
        results.append(measure(app, env, log_path, a.idle_secs,
                               f"{a.messages // 1000}k messages + {a.notifications // 1000}k notifications",
                               a.starts))
    finally:
        stop(server, signal.SIGINT)
        shutil.rmtree(tmp, ignore_errors=True)
    with open(os.path.join(out, "desktop-bench.json"), "w") as f:
        json.dump(results, f, indent=2)
    print("| profile | shell started | UI running | first view (in app / from spawn) | connected (in app / from spawn) "
          "| RSS total | PSS total | USS total | idle CPU |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        m = r["idle_connected"]
        print(f"| {r['profile']} | {r['shell_started_ms_in_app']} ms | {r['ui_running_ms_in_app']} ms "
              f"| {r['first_view_ms_in_app']} / {r['first_view_ms_from_spawn']} ms "
              f"| {r['connected_ms_in_app']} / {r['connected_ms_from_spawn']} ms | {m['rss_mb']} MB "
              f"| {m['pss_mb']} MB | {m['uss_mb']} MB | {r['idle_cpu_seconds']} s in {r['idle_window_s']} s "
              f"({r['idle_cpu_percent']}%) |")
    for r in results:
        print(r["profile"], json.dumps(r["idle_connected"]["processes"]))
        print(r["profile"], "first view of each start (ms):", r["first_view_ms_each_start"])
        print(r["profile"], "last start:", "; ".join(r["startup_lines_each_start"][-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
