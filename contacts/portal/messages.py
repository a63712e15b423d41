"""Django's message storage (a signed cookie; the session for what does not fit), with each
distinct cookie value signed once per process.

The portal's busiest POST ("everything is correct") sends the same one-line notice every time,
and signing it (JSON, a compression attempt, two SHA-256 rounds) was a tenth of that request's
CPU. Django's cookie signature has no timestamp: the same messages under the same key are always
the same value, so a value computed once is the value Django would compute again. Settings are
MESSAGE_STORAGE = "contacts.portal.messages.MessageStorage".
"""

from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.messages.storage.session import SessionStorage

_SIGNED: dict[tuple, str | None] = {}
_SIGNED_MAX = 128  # distinct values kept; the whole memo is dropped when full


class SignedOnceCookieStorage(CookieStorage):
    def _encode_parts(self, messages, encode_empty=False):
        key = (self.signer.key, self.signer.salt, tuple(messages or ()), encode_empty)
        if key not in _SIGNED:
            if len(_SIGNED) >= _SIGNED_MAX:
                _SIGNED.clear()
            _SIGNED[key] = super()._encode_parts(messages, encode_empty)
        return _SIGNED[key]


class MessageStorage(FallbackStorage):
    storage_classes = (SignedOnceCookieStorage, SessionStorage)
