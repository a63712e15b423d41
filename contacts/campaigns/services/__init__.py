"""Every write of the campaigns app."""

from .delivery import call_list_fill, campaign_fanout, fanout_chunk, reminders_send
from .lifecycle import (
    SYSTEM_ACTOR,
    campaign_close,
    campaign_create,
    campaign_launch,
    campaign_pause,
    campaign_resume,
)
from .progress import campaign_progress_refresh
from .responses import (
    CALL_OUTCOMES,
    call_outcome_record,
    portal_answers_collect,
    recipients_respond,
    sms_reply_record,
)
from .tick import (
    campaign_recur,
    campaign_schedule_recurring,
    campaigns_progress_refresh,
    campaigns_tick,
)

__all__ = [
    "CALL_OUTCOMES",
    "SYSTEM_ACTOR",
    "call_list_fill",
    "call_outcome_record",
    "campaign_close",
    "campaign_create",
    "campaign_fanout",
    "campaign_launch",
    "campaign_pause",
    "campaign_progress_refresh",
    "campaign_recur",
    "campaign_resume",
    "campaign_schedule_recurring",
    "campaigns_progress_refresh",
    "campaigns_tick",
    "fanout_chunk",
    "portal_answers_collect",
    "recipients_respond",
    "reminders_send",
    "sms_reply_record",
]
