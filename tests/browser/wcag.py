"""WCAG 2.1 AA checks run inside a Playwright page: text contrast (1.4.3) and a visible focus
indicator with 3:1 contrast (2.4.7, 1.4.11). The measuring is in wcag.js; this module drives it
and turns its findings into readable assertion messages."""

from pathlib import Path

SOURCE = Path(__file__).with_name("wcag.js").read_text(encoding="utf-8")
FOCUS_CONTRAST = 3.0


def text_contrast_failures(page) -> tuple[int, list[dict]]:
    """(how many text elements were measured, the ones below 4.5:1, or 3:1 for large text)."""
    result = page.evaluate(SOURCE, {"check": "text"})
    return result["checked"], result["failures"]


def focus_indicator_failures(page, limit: int = 150) -> tuple[int, list[dict]]:
    """Tab through the whole page; (how many elements took focus, those whose focus indicator
    is missing or below 3:1 against what it is drawn on).

    Tabbing starts after whatever has focus (an autofocused field, say), leaves the page after
    the last element and comes back at the top, so it goes round once: until an element takes
    focus a second time."""
    focused, failures, outside = 0, [], 0
    for _ in range(limit):
        page.keyboard.press("Tab")
        found = page.evaluate(SOURCE, {"check": "focus"})
        if found is None:
            outside += 1
            if outside > 1:
                break
            continue
        if found["repeat"]:
            break
        focused += 1
        if found.get("error") or found["ratio"] < FOCUS_CONTRAST:
            failures.append(found)
    return focused, failures


def report(page_name: str, failures: list[dict]) -> str:
    lines = [f"{page_name}: {len(failures)} element(s) fail WCAG 2.1 AA contrast"]
    for f in failures:
        if f.get("error"):
            lines.append(f"  {f['selector']} {f.get('text', '')!r}: {f['error']}")
            continue
        what = f.get("indicator") or f"text {f['text']!r} ({f['font']})"
        needed = f.get("required", FOCUS_CONTRAST)
        lines.append(
            f"  {f['selector']}: {what}, {f.get('color')} on {f.get('background')}"
            f" = {f['ratio']}:1, needs {needed}:1"
        )
    return "\n".join(lines)


def assert_meets_wcag_aa(page, page_name: str, *, texts: int = 5, focusable: int = 3) -> None:
    """Text contrast and focus indicators of the page meet WCAG 2.1 AA; at least `texts` texts
    and `focusable` focusable elements were checked (the page really drew something)."""
    checked, failures = text_contrast_failures(page)
    assert checked > texts
    assert not failures, report(page_name, failures)
    focused, failures = focus_indicator_failures(page)
    assert focused > focusable
    assert not failures, report(page_name, failures)
