"""SMS segment arithmetic: what a body costs and whether it fits.

A body in the GSM 03.38 alphabet is sent 160 characters to a segment (153 when split, the rest
is the concatenation header); anything else (Arabic, Vietnamese diacritics, most accented
capitals) switches the whole message to UCS-2: 70, or 67 when split.
"""

_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# These cost two septets each (escape + character).
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
_GSM = _GSM_BASIC | _GSM_EXTENDED

MAX_SEGMENTS = 3


def is_gsm(text: str) -> bool:
    return set(text) <= _GSM


def segments(text: str) -> int:
    if is_gsm(text):
        units = len(text) + sum(map(text.count, _GSM_EXTENDED))
        single, multi = 160, 153
    else:
        # UTF-16 code units: characters outside the BMP (emoji) take two.
        units = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if units <= single:
        return 1
    return -(-units // multi)
