"""The analysts' page in headless chromium (Debian's package, driven by playwright): the seed article renders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.page import ARTICLE, analyze_in_page, chromium, running

pytestmark = pytest.mark.browser
pytest.importorskip("fastapi_offline", reason="the serve extra is not installed: pip install -e '.[serve]'")
pytest.importorskip("playwright", reason="playwright is not installed: make setup-browser")
if chromium() is None:
    pytest.skip("no chromium on this machine: make setup-browser", allow_module_level=True)


@pytest.fixture(scope="module")
def page_and_api(tiny_model_spans):
    from fastapi.testclient import TestClient
    from playwright.sync_api import sync_playwright

    import stance
    from stance.serve import create_app

    predictor = stance.load(tiny_model_spans)
    article = ARTICLE.read_text(encoding="utf-8")
    with TestClient(create_app(predictor=predictor)) as c:
        expected = c.post("/v1/analyze", json={"article": article}).json()
    with running(create_app(predictor=predictor)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page, url, article, expected, errors
        browser.close()


def test_seed_article_renders_quotes_speakers_chips_and_spans(page_and_api, tmp_path):
    page, url, article, expected, errors = page_and_api
    analyze_in_page(page, url, article)
    assert "Error" not in page.inner_text("#article-status")
    n = len(expected)
    assert n >= 5
    # every quote highlighted (its text, whole), one stance chip per quote with its score
    for i, q in enumerate(expected):
        shown = "".join(page.locator(f'#doc .q[data-q="{i}"]').all_inner_texts())
        assert " ".join(shown.split()) == " ".join(q["text"].split())
    chips = page.locator("#doc .chip")
    assert chips.count() == n
    stances = [q["prediction"]["stance"] for q in expected]
    assert chips.evaluate_all("cs => cs.map(c => c.dataset.stance)") == stances
    first = expected[0]["prediction"]
    assert f"{first['stance']} {first['stance_scores'][first['stance']]:.2f}" in chips.first.inner_text()
    # speakers: bold in the text where they are named, and counted in the side panel
    speakers = {q["speaker"] for q in expected if q["speaker"]}
    assert speakers and page.locator("#doc .spk").count() >= 1
    panel = page.inner_text("#speakers")
    assert all(s in panel for s in speakers)
    # technique spans underlined, one legend entry per technique present
    techniques = {s["technique"] for q in expected for s in q["article_spans"]}
    assert techniques, "the spans fixture model should produce technique spans"
    underlined = page.locator("#doc [data-techniques]")
    assert underlined.count() >= 1
    assert "inset" in underlined.first.get_attribute("style")
    legend = page.locator("#legend li[data-technique]").evaluate_all("ls => ls.map(l => l.dataset.technique)")
    assert set(legend) == techniques
    # a chip shows its quote's scores, by keyboard
    chips.nth(1).focus()
    page.keyboard.press("Enter")
    assert expected[1]["prediction"]["stance"].replace("_", " ") in page.inner_text("#details")
    out = Path(os.environ.get("STANCE_SCREENSHOT", tmp_path / "serve.png"))
    page.screenshot(path=str(out))
    assert out.stat().st_size > 10_000
    assert not errors, errors


def test_api_errors_are_shown_in_the_page(page_and_api):
    page, url, *_, errors = page_and_api
    page.goto(url)
    page.click("#tab-statements")
    page.fill("#lines", "ok\n" + "x" * 30_000)
    page.click("#label")
    status = page.locator("#statements-status")
    status.filter(has_text="Error").wait_for()
    assert "422" in status.inner_text() and "max_text_chars" in status.inner_text()
    assert status.get_attribute("role") == "alert"


def test_statements_table_sorts(page_and_api):
    page, url, *_ = page_and_api
    page.goto(url)
    page.keyboard.press("Tab")  # the page is usable from the keyboard: tabs are buttons
    page.click("#tab-statements")
    page.fill("#lines", "We will never surrender.\nThe vote is on Tuesday.\nThey are liars and thieves.")
    page.click("#label")
    page.locator("#statements-status").filter(has_text="labelled").wait_for()
    rows = page.locator("#table tbody tr")
    assert rows.count() == 3
    page.click("#table th[data-key=score] button")
    scores = [float(x) for x in page.locator("#table tbody td:nth-child(4)").all_inner_texts()]
    assert scores == sorted(scores)
    page.click("#table th[data-key=score] button")
    scores = [float(x) for x in page.locator("#table tbody td:nth-child(4)").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    assert page.get_attribute("#table th[data-key=score]", "aria-sort") == "descending"
    with page.expect_download() as dl:
        page.click("#statements-csv")
    lines = Path(dl.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("text,stance,score,techniques,score_") and len(lines) == 4
