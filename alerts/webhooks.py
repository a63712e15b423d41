"""Twilio webhooks: delivery status (SMS and voice) and inbound SMS.

Every request must carry a valid X-Twilio-Signature for the URL Twilio called and the form it
posted; anything else is a 403, logged with the path only (the form holds phone numbers).
ALERTS_PUBLIC_BASE_URL names the public origin when a proxy rewrites the host or scheme."""

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from . import conf, services

logger = logging.getLogger(__name__)


def signed_by_twilio(request: HttpRequest) -> bool:
    token = conf.setting_str("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    base = conf.setting_str("ALERTS_PUBLIC_BASE_URL")
    url = f"{base.rstrip('/')}{request.get_full_path()}" if base else request.build_absolute_uri()
    return RequestValidator(token).validate(url, request.POST.dict(), signature)


def _forbidden(request: HttpRequest) -> HttpResponse:
    logger.warning(
        "alerts webhook rejected: %s signature path=%s",
        "bad" if request.headers.get("X-Twilio-Signature") else "missing",
        request.path,
    )
    return HttpResponse("forbidden", status=403, content_type="text/plain")


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not signed_by_twilio(request):
        return _forbidden(request)
    services.message_status_update(
        provider_id=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_voice_status(request: HttpRequest) -> HttpResponse:
    if not signed_by_twilio(request):
        return _forbidden(request)
    services.message_status_update(
        provider_id=request.POST.get("CallSid", ""),
        status=request.POST.get("CallStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    if not signed_by_twilio(request):
        return _forbidden(request)
    result = services.inbound_receive(
        provider_id=request.POST.get("MessageSid", ""),
        from_address=request.POST.get("From", ""),
        body=request.POST.get("Body", ""),
    )
    response = MessagingResponse()
    if result.reply:
        response.message(result.reply)
    return HttpResponse(str(response), content_type="application/xml")
