from alerts.services import message_queue

PHONE = "+13125550101"
EMAIL = "maria.lopez@example.org"


def queue_sms(key: str = "k1", **overrides):
    kwargs = {
        "channel": "sms",
        "address": PHONE,
        "purpose": "portal.code",
        "template_key": "portal.code",
        "language": "en",
        "context": {"code": "482913"},
        "idempotency_key": key,
        "recipient_person_id": 7,
        "contact_point_id": 70,
    }
    kwargs.update(overrides)
    return message_queue(**kwargs)
