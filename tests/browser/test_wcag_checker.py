"""The contrast checker itself, on pages whose ratios are known: it fails what WCAG fails, passes
what it passes, and leaves out what WCAG exempts. Without this a checker that measured nothing
would keep test_accessibility.py green."""

import pytest

from tests.browser.wcag import focus_indicator_failures, text_contrast_failures

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html><head><style>
body{margin:0;background:#fff;font:16px sans-serif}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
</style></head><body>{body}</body></html>"""


def _failing(phone, body: str) -> list[str]:
    phone.set_content(PAGE.replace("{body}", body))
    _checked, failures = text_contrast_failures(phone)
    return [f["text"] for f in failures]


def test_text_below_4_5_to_1_fails_and_above_passes(phone):
    # #777 on white is 4.48:1, #767676 is 4.54:1: the classic pair either side of the line.
    failing = _failing(
        phone, '<p style="color:#777">grey 777</p><p style="color:#767676">grey 767676</p>'
    )
    assert failing == ["grey 777"]


def test_large_text_needs_only_3_to_1(phone):
    failing = _failing(
        phone,
        '<p style="color:#777;font-size:24px">24px</p>'
        '<p style="color:#777;font-size:19px;font-weight:700">19px bold</p>'
        '<p style="color:#777;font-size:19px">19px regular</p>'
        '<p style="color:#999;font-size:24px">24px at 2.8:1</p>',
    )
    assert failing == ["19px regular", "24px at 2.8:1"]


def test_transparency_is_blended_with_what_lies_behind(phone):
    failing = _failing(
        phone,
        '<p style="color:rgba(0,0,0,.3)">faint ink</p>'
        '<div style="background:#000"><p style="color:#fff;background:rgba(255,255,255,.5)">'
        "white on grey</p></div>"
        '<div style="background:#0b3d6b"><p style="color:#fff">white on blue</p></div>'
        '<p style="color:#000;opacity:.35">faded</p>',
    )
    assert failing == ["faint ink", "white on grey", "faded"]


def test_disabled_hidden_and_visually_hidden_text_is_exempt(phone):
    failing = _failing(
        phone,
        '<button disabled style="color:#ccc;background:#fff">disabled</button>'
        '<fieldset disabled><label style="color:#ccc">in a disabled fieldset</label></fieldset>'
        '<span class="visually-hidden" style="color:#fff">for screen readers</span>'
        '<p style="display:none;color:#fff">not shown</p>'
        '<p style="color:#ccc">shown</p>',
    )
    assert failing == ["shown"]


def test_form_controls_are_measured_by_their_value(phone):
    failing = _failing(
        phone,
        '<input value="pale value" style="color:#aaa">'
        '<input value="dark value" style="color:#111">'
        '<select style="color:#bbb;background:#fff"><option>pale choice</option></select>',
    )
    assert failing == ["pale value", "pale choice"]


def test_a_background_image_is_reported_not_guessed(phone):
    phone.set_content(
        PAGE.replace(
            "{body}",
            '<div style="background:linear-gradient(#fff,#000)"><p>on a gradient</p></div>',
        )
    )
    _checked, failures = text_contrast_failures(phone)
    assert "background image" in failures[0]["error"]


def test_focus_without_an_indicator_or_with_a_faint_one_fails(phone):
    phone.set_content(
        PAGE.replace(
            "{body}",
            '<button id="none" style="outline:none">no ring</button>'
            '<button id="faint" style="outline:3px solid #ddd">faint ring</button>'
            '<button id="ring" style="outline:3px solid #b34700">ring</button>'
            '<button id="shadow" style="outline:none;box-shadow:0 0 0 3px #000">shadow</button>',
        )
    )
    focused, failures = focus_indicator_failures(phone)
    assert focused == 4
    assert [(f["selector"], f["indicator"].split()[0]) for f in failures] == [
        ("button#none", "none"),
        ("button#faint", "outline"),
    ]
