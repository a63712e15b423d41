"""Portal services: every write the parent portal and its staff review queue make."""

from .account import (
    affidavit_is_stale,
    own_contact_point_add,
    own_contact_point_remove,
    own_contact_point_send_code,
    own_contact_point_verify,
    plan_update,
    preferences_update,
)
from .household import (
    household_confirm,
    household_confirm_signed_in,
    portal_contact_add,
    portal_contact_move,
    portal_contact_remove,
    portal_contact_update,
)
from .housekeeping import portal_purge
from .review import pickup_review_decide, review_queue_viewed
from .signin import (
    CodeAccepted,
    parse_identifier,
    portal_actor,
    portal_link_issue,
    portal_session_end,
    portal_session_start,
    portal_sessions_end_all,
    signin_choice_candidates,
    signin_choice_get,
    signin_choice_make,
    signin_code_request,
    signin_code_verify,
    signin_link_redeem,
)

__all__ = [
    "CodeAccepted",
    "affidavit_is_stale",
    "household_confirm",
    "household_confirm_signed_in",
    "own_contact_point_add",
    "own_contact_point_remove",
    "own_contact_point_send_code",
    "own_contact_point_verify",
    "parse_identifier",
    "pickup_review_decide",
    "review_queue_viewed",
    "plan_update",
    "portal_actor",
    "portal_contact_add",
    "portal_contact_move",
    "portal_contact_remove",
    "portal_contact_update",
    "portal_link_issue",
    "portal_purge",
    "portal_session_end",
    "portal_session_start",
    "portal_sessions_end_all",
    "preferences_update",
    "signin_choice_candidates",
    "signin_choice_get",
    "signin_choice_make",
    "signin_code_request",
    "signin_code_verify",
    "signin_link_redeem",
]
