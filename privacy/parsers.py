"""Request parsers that refuse a payload carrying a key the district does not collect."""

from rest_framework import parsers

from .errors import NotCollected
from .minimisation import forbidden_keys


class _Guarded:
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        payload = data.data if isinstance(data, parsers.DataAndFiles) else data
        keys = forbidden_keys(payload)
        if keys:
            raise NotCollected(keys)
        return data


class GuardedJSONParser(_Guarded, parsers.JSONParser):
    pass


class GuardedFormParser(_Guarded, parsers.FormParser):
    pass


class GuardedMultiPartParser(_Guarded, parsers.MultiPartParser):
    pass
