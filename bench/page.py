"""The analysts' page in headless chromium: serve an app in a thread, paste an article, wait, screenshot.

`python -m bench.page --model DIR --out docs/serve.png` makes the README's screenshot (after `make train`).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ARTICLE = REPO / "tests" / "fixtures" / "kursk-article.txt"
CHROMIUM = "/usr/bin/chromium"


def chromium() -> str | None:
    """The system chromium (Debian's package), or None: playwright never downloads a browser here."""
    return shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)


@contextmanager
def running(app: Any) -> Iterator[str]:
    """Serve `app` with uvicorn on a free loopback port in a thread; yields its base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start (see its log above)")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def analyze_in_page(page: Any, url: str, article: str, timeout_ms: int = 60_000) -> None:
    """Open the page, paste `article`, press Analyze and wait until the quotes are rendered (or an error)."""
    page.goto(url)
    page.wait_for_selector("#model:not(:has-text('loading'))")
    page.fill("#article", article)
    page.click("#analyze")
    page.wait_for_function(
        "document.querySelector('#article-status').textContent.match(/quotes|Error/)", timeout=timeout_ms
    )


def screenshot(
    model: str | None, out: Path, article: Path = ARTICLE, width: int = 1280, height: int = 900
) -> Path:
    """Serve `model`, analyse `article` in the page and save a PNG of the viewport."""
    from playwright.sync_api import sync_playwright

    from stance.serve import create_app

    exe = chromium()
    if exe is None:
        raise SystemExit("no chromium: run `make setup-browser` (Debian's chromium package)")
    with running(create_app(model)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": height})
        analyze_in_page(page, url, article.read_text(encoding="utf-8"))
        first = page.locator("#doc .chip").first
        if first.count():
            first.click()
        page.evaluate("document.querySelector('#article-status').scrollIntoView()")
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), type="png")
        browser.close()
    return shrink(out)


def shrink(png: Path, colors: int = 128) -> Path:
    """A 128-colour palette PNG (~80 kB instead of ~210 kB for the page) when pillow is installed."""
    try:
        from PIL import Image
    except ImportError:
        return png
    Image.open(png).convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(
        png, optimize=True
    )
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="model directory or MLflow URI (default: the trained default)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "serve.png")
    args = parser.parse_args(argv)
    print(screenshot(args.model, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
