"""Drive Debian's chromium against a real JupyterLab, fully offline (tests and bench share it).

Why here: the browser tests (``tests/browser``) and the timing bench (``bench/widgets.py``)
need the same three things, and they must agree on them:

- :class:`OfflineGuard`: every request that is not to 127.0.0.1 (or ``data:``/``blob:``) is
  aborted and recorded, so a test can assert that *none was attempted*;
- :class:`StaticServer`: a plain page that loads the built widget bundle without Jupyter;
- :class:`JupyterLab`: a throw-away JupyterLab on 127.0.0.1 with a random token, its own
  settings (no news, no update check, no windowing) and its own root folder, stopped with
  its whole process group.

Recipe and pitfalls: ``shared/notes/jupyter-testing.md`` §4 and §8.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
STATIC = REPO / "toolkit" / "widgets" / "static"
PAGE = Path(__file__).resolve().parent / "page"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/lib/chromium/chromium", "/usr/bin/chromium-browser")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def chromium_path() -> str | None:
    """Debian's chromium, or ``None`` when it is not installed."""
    env = os.environ.get("TOOLKIT_CHROMIUM")
    for candidate in ((env,) if env else ()) + CHROMIUM_CANDIDATES:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def launch(playwright: Any, *, headless: bool = True) -> Any:
    """Launch chromium through Playwright without downloading a browser."""
    path = chromium_path()
    if path is None:
        raise RuntimeError(
            "no chromium found. Fix: `sudo apt-get install chromium` (or WITH_BROWSER=1 scripts/bootstrap.sh),"
            " or point TOOLKIT_CHROMIUM at a Chromium binary."
        )
    return playwright.chromium.launch(
        executable_path=path,
        headless=headless,
        args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OfflineGuard:
    """Abort every non-local request on a browser context and remember each one."""

    def __init__(self) -> None:
        self.blocked: list[str] = []

    def install(self, context: Any) -> "OfflineGuard":
        context.route("**/*", self._route)
        return self

    def _route(self, route: Any, request: Any) -> None:
        url = request.url
        scheme = urlsplit(url).scheme
        host = urlsplit(url).hostname or ""
        if scheme in ("data", "blob") or host in LOCAL_HOSTS:
            route.continue_()
            return
        self.blocked.append(url)
        route.abort()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class StaticServer:
    """Serve the test page and the built bundle on 127.0.0.1 (``/`` and ``/static/``)."""

    def __init__(self, static_dir: Path = STATIC) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="tst-page-"))
        shutil.copytree(PAGE, self.root, dirs_exist_ok=True)
        shutil.copytree(static_dir, self.root / "static")
        handler = functools.partial(_QuietHandler, directory=str(self.root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.root, ignore_errors=True)


def open_test_page(context: Any, server: StaticServer) -> Any:
    """A page with the fake model helpers and the widget bundle loaded (API in the slot)."""
    page = context.new_page()
    page.goto(server.url + "index.html")
    page.wait_for_function("window.__pageReady === true")
    page.evaluate(
        """async (url) => {
            await window.loadScript(url);
            window.tst = globalThis[Symbol.for('torchscript-toolkit.widgets/1')].api;
        }""",
        server.url + "static/toolkit-widgets.js",
    )
    return page


class JupyterLab:
    """A JupyterLab server on 127.0.0.1 for one test session, in its own process group."""

    def __init__(self, root: Path, *, python: str = sys.executable, timeout: float = 60.0) -> None:
        self.root = root
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.settings = Path(tempfile.mkdtemp(prefix="tst-lab-settings-"))
        self._write_settings()
        env = dict(os.environ)
        env.update(
            JUPYTERLAB_SETTINGS_DIR=str(self.settings),
            JUPYTER_CONFIG_DIR=str(self.settings / "config"),
            PYTHONHASHSEED="0",
            MPLBACKEND="Agg",
        )
        env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        self.log = open(self.settings / "server.log", "w")
        self.process = subprocess.Popen(
            [
                python, "-m", "jupyterlab", "--no-browser", "--allow-root",
                "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
                "--LabApp.news_url=None", "--LabApp.extension_manager=readonly",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.expose_app_in_browser=True",
                "--JupyterNotebookApp.expose_app_in_browser=True",
                "--ServerApp.disable_check_xsrf=False",
            ],
            cwd=root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready(timeout)

    def _write_settings(self) -> None:
        lab = self.settings / "@jupyterlab"
        for plugin, values in {
            "notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
            "apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
        }.items():
            path = lab / plugin
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early; log:\n{self.read_log()}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s; log:\n{self.read_log()}")

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path}{sep}token={self.token}"

    def read_log(self) -> str:
        self.log.flush()
        return (self.settings / "server.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.settings, ignore_errors=True)


# --- driving a notebook ------------------------------------------------------------------

KERNEL_IDLE_JS = """() => {
  const app = window.jupyterapp;
  const w = app && app.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && w.sessionContext.isReady;
}"""


def open_notebook(page: Any, lab: JupyterLab, name: str, *, timeout_ms: int = 60000) -> None:
    """Open ``name`` in JupyterLab and wait until its kernel is idle."""
    page.goto(lab.url(f"lab/tree/{name}"))
    page.wait_for_function(KERNEL_IDLE_JS, timeout=timeout_ms)


def execute(page: Any, command: str, args: dict | None = None) -> None:
    page.evaluate("([c, a]) => window.jupyterapp.commands.execute(c, a || {})", [command, args])


def wait_until_idle(page: Any, *, timeout_ms: int = 120000) -> None:
    """Wait until no cell is queued or running and the kernel is idle."""
    page.wait_for_function(
        """() => {
            const busy = Array.from(document.querySelectorAll('.jp-InputPrompt'))
              .some(p => p.textContent.includes('*'));
            const app = window.jupyterapp, w = app.shell.currentWidget;
            const k = w && w.sessionContext.session && w.sessionContext.session.kernel;
            return !busy && k && k.status === 'idle';
        }""",
        timeout=timeout_ms,
    )


def clear_outputs(notebook: dict) -> dict:
    """The notebook with outputs and execution counts removed (stale outputs fool selectors)."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    notebook.get("metadata", {}).pop("widgets", None)
    return notebook


@contextlib.contextmanager
def session_browser(*, headless: bool = True) -> Iterator[tuple[Any, Any]]:
    """``(playwright, browser)`` for a with-block (bench use; tests use fixtures)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p, headless=headless)
        try:
            yield p, browser
        finally:
            browser.close()


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve the files in ``folder`` on 127.0.0.1 for a with-block; yields the base URL (``http://.../``)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
