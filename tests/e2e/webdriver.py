"""A minimal W3C WebDriver client (stdlib only) for driving the real Herald window.

tauri-driver speaks plain W3C WebDriver and proxies to WebKitWebDriver; a few HTTP calls are
all the end-to-end tests need, so no Selenium/WebdriverIO dependency is pulled in.
"""

import http.client
import json
import time
import urllib.error
import urllib.parse

ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"


class WebDriverError(RuntimeError):
    pass


class Session:
    def __init__(self, base_url, capabilities, timeout=60):
        self.base = base_url.rstrip("/")
        parsed = urllib.parse.urlsplit(self.base)
        self.host, self.port = parsed.hostname, parsed.port
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                value = self._call("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}})
                self.id = value["sessionId"]
                return
            except (urllib.error.URLError, OSError, WebDriverError) as e:  # driver not up yet
                last = e
                time.sleep(0.5)
        raise WebDriverError(f"could not start a WebDriver session: {last}")

    def _call(self, method, path, body=None, timeout=60):
        data = None if body is None else json.dumps(body).encode()
        # No `Connection: close` (urllib always sends one): tauri-driver forwards our headers to
        # WebKitWebDriver over its pooled keep-alive connections, WebKitWebDriver then closes a
        # connection the pool still reuses, and the proxy drops our request unanswered
        # ("connection closed before message completed"; 10 such drops in one screens run
        # before, none in two runs after). A drop that still happens is retried when the
        # request is repeatable; clicks and typing never are.
        repeatable = not path.endswith(("/click", "/value"))
        retries = 3 if repeatable else 0
        while True:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            try:
                headers = {"Content-Type": "application/json"}
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
                if resp.status >= 400:
                    raise WebDriverError(f"{method} {path}: HTTP {resp.status}: {raw[:500]!r}")
                return json.loads(raw or b"{}").get("value")
            except (http.client.RemoteDisconnected, ConnectionResetError) as e:
                if retries == 0:
                    raise
                retries -= 1
                print(f"  (webdriver: {method} {path} dropped: {e!r}; retrying)", flush=True)
                time.sleep(0.2)
            finally:
                conn.close()

    def cmd(self, method, path, body=None):
        return self._call(method, f"/session/{self.id}{path}", body)

    def find(self, css):
        """Returns the element id, or None when absent."""
        try:
            value = self.cmd("POST", "/element", {"using": "css selector", "value": css})
        except WebDriverError:
            return None
        return value.get(ELEMENT_KEY) if isinstance(value, dict) else None

    def text(self, element):
        return self.cmd("GET", f"/element/{element}/text")

    def click(self, element):
        return self.cmd("POST", f"/element/{element}/click", {})

    def execute(self, script, args=()):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def execute_async(self, script, args=()):
        """Runs `script` with a completion callback as its last argument; returns what it passes."""
        return self.cmd("POST", "/execute/async", {"script": script, "args": list(args)})

    def wait_text(self, css, predicate, timeout=30):
        """Waits until the element matching `css` exists and its text satisfies `predicate`."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            el = self.find(css)
            if el is not None:
                try:
                    last = self.text(el)
                except WebDriverError:
                    last = None
                if last is not None and predicate(last):
                    return last
            time.sleep(0.25)
        raise AssertionError(f"timed out waiting for {css!r}; last text: {last!r}")

    # No screenshot(): WebKit's snapshot API, behind WebDriver's screenshot, never answers with
    # compositing off (as Herald runs its webview); tests take the X server's picture instead.

    def close(self):
        try:
            self._call("DELETE", f"/session/{self.id}", timeout=20)
        except Exception:  # the app may already be gone
            pass
