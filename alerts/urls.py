from django.urls import path

from . import webhooks

app_name = "alerts"

urlpatterns = [
    path("twilio/status", webhooks.twilio_status, name="twilio-status"),
    path("twilio/voice-status", webhooks.twilio_voice_status, name="twilio-voice-status"),
    path("twilio/inbound", webhooks.twilio_inbound, name="twilio-inbound"),
]
