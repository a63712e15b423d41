"""Every write of reunify: one function per use case, keyword-only, with an explicit actor, in
one transaction with its audit entry and timeline entries; messages are outbox rows sent on
commit. Pages, the API and tasks call only these (and reunify.selectors for reads)."""

from .cases import (
    CaseOpenResult,
    CasePreview,
    Notice,
    case_close,
    case_open,
    case_preview,
    case_student_account,
    case_student_assign,
    case_student_settle,
    placement_record,
)
from .outreach import (
    outreach_call_log,
    outreach_record_answer,
    outreach_tick,
    pickup_reply,
    pickup_unreachable,
)
from .support import support_resources_send
from .worklist import task_claim, task_complete, task_note, task_reassign, task_start

__all__ = [
    "CaseOpenResult",
    "CasePreview",
    "Notice",
    "case_close",
    "case_open",
    "case_preview",
    "case_student_account",
    "case_student_assign",
    "case_student_settle",
    "outreach_call_log",
    "outreach_record_answer",
    "outreach_tick",
    "pickup_reply",
    "pickup_unreachable",
    "placement_record",
    "support_resources_send",
    "task_claim",
    "task_complete",
    "task_note",
    "task_reassign",
    "task_start",
]
