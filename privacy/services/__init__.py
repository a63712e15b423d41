"""Every write in privacy. Other apps call `audit_record`, `audit_bulk`, `access_record`,
`access_record_many` and `disclosure_record`."""

from .agency import (
    agency_document_open,
    agency_request_close,
    agency_request_decide,
    agency_request_export,
    agency_request_receive,
    agency_request_review_start,
)
from .audit import access_record, access_record_many, actor_label_for, audit_bulk, audit_record
from .disclosures import disclosure_record

__all__ = [
    "access_record",
    "access_record_many",
    "actor_label_for",
    "agency_document_open",
    "agency_request_close",
    "agency_request_decide",
    "agency_request_export",
    "agency_request_receive",
    "agency_request_review_start",
    "audit_bulk",
    "audit_record",
    "disclosure_record",
]
