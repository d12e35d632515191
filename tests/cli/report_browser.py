"""Drives the compliance page in headless Debian chromium (playwright, no browser download).

Usage: report_browser.py REPORT.html
Exits non-zero with the failed check on stderr; prints one line per passed check.
"""
import json
import sys
import urllib.parse
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
# The machine notes' flags for Debian's chromium headless in a container.
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok:", what.split(":")[0])


def visible_rows(page, table):
    return page.eval_on_selector_all(f"#{table} tbody tr", "rs => rs.filter(r => !r.hidden).map(r => r.textContent)")


def column(page, table, col):
    # The sort key of column `col` (data-sort, else text) of every row, in page order.
    return page.eval_on_selector_all(
        f"#{table} tbody tr",
        f"rs => rs.map(r => {{ const c = r.cells[{col}]; const v = c.getAttribute('data-sort'); "
        f"return v === null ? c.textContent.trim() : v; }})",
    )


def header_index(page, table, title):
    heads = page.eval_on_selector_all(f"#{table} thead th", "hs => hs.map(h => h.textContent.trim())")
    check(title in heads, f"{title} header in #{table}: {heads}")
    return heads.index(title)


def main():
    url = Path(sys.argv[1]).resolve().as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems = []
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("request", lambda r: None if r.url == url else problems.append(f"request: {r.url}"))
        page.goto(url)
        page.wait_for_load_state("load")
        check(problems == [], f"loads with no console error, script error or request: {problems}")

        sections = page.eval_on_selector_all("main > section > h2", "hs => hs.map(h => h.textContent)")
        check(sections[:3] == ["Summary", "Incidents", "Findings"], f"incidents come first: {sections}")
        timeline = page.eval_on_selector_all("#incidents ol.timeline li", "ls => ls.length")
        check(timeline > 0, f"incidents have timelines: {timeline} entries")

        # The search box filters rows: fewer rows, and every one left matches.
        table = "findings-table"
        before = visible_rows(page, table)
        detectors = page.eval_on_selector_all(f"#{table} tbody tr td:nth-child(2) .small", "s => s.map(x => x.textContent.split(' · ')[0])")
        query = min(set(detectors), key=detectors.count)  # the rarest detector: a real drop
        page.fill(f"input[data-table={table}]", query)
        after = visible_rows(page, table)
        check(0 < len(after) < len(before), f"search filters rows: {len(before)} -> {len(after)} for {query!r}")
        check(all(query.lower() in r.lower() for r in after), "every row left matches the search")
        counted = page.text_content(f"#{table}-count")
        check(counted == f"{len(after)} of {len(before)} rows", f"the count says so: {counted!r}")
        page.fill(f"input[data-table={table}]", "")
        check(len(visible_rows(page, table)) == len(before), "clearing the search shows every row")

        # Sorting: a numeric column both ways, and a text column.
        table = "principals-table"
        col = header_index(page, table, "Granted")
        page.click(f"#{table} thead th:nth-child({col + 1}) button")
        asc = [float(v) for v in column(page, table, col)]
        check(asc == sorted(asc) and asc[0] < asc[-1], f"sorting by Granted ascending: {asc[:3]}...{asc[-3:]}")
        page.click(f"#{table} thead th:nth-child({col + 1}) button")
        desc = [float(v) for v in column(page, table, col)]
        check(desc == sorted(asc, reverse=True), "sorting by Granted descending")
        col = header_index(page, table, "Principal")
        page.click(f"#{table} thead th:nth-child({col + 1}) button")
        in_order = page.eval_on_selector_all(
            f"#{table} tbody tr",
            f"rs => rs.map(r => r.cells[{col}].textContent.trim()).every((t, i, a) => i == 0 || a[i - 1].localeCompare(t) <= 0)",
        )
        check(in_order, "sorting by Principal (text)")

        # The proposed policy downloads as JSON from the page itself.
        hrefs = page.eval_on_selector_all("a.download", "as => as.map(a => [a.getAttribute('href'), a.getAttribute('download')])")
        check(len(hrefs) > 0, f"proposed policies to download: {len(hrefs)}")
        prefix = "data:application/json;charset=utf-8,"
        for href, name in hrefs:
            check(href.startswith(prefix) and name.endswith(".json"), f"download link {name} is a JSON data URI")
            doc = json.loads(urllib.parse.unquote(href[len(prefix):]))
            check("Statement" in doc, f"{name} is a policy document")

        # 400 px wide, every collapsible part open: nothing wider than the viewport.
        page.set_viewport_size({"width": 400, "height": 800})
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.body.scrollWidth]"
        )
        wide = page.evaluate(
            "Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 401)"
            ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
        )
        check(max(widths) <= 400, f"no horizontal overflow at 400 px: scrollWidth {widths}, widest {wide}")
        check(problems == [], f"no console error after the interactions: {problems}")
        browser.close()


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)
