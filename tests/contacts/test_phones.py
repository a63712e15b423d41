import pytest

from contacts.lib.phones import PhoneBook, display_phone, normalize_phone
from privacy.errors import DomainError

RAW = ["(312) 555-0101", "312.555.0102", "+52 55 1234 5678", "555-12", "+1 312 555 0103", "abc"]


@pytest.mark.parametrize("parallel_from", [1, 10_000])
def test_phone_book_gives_exactly_what_normalize_phone_gives(monkeypatch, parallel_from):
    # parallel_from=1 forces the process pool even for a handful of numbers.
    monkeypatch.setattr(PhoneBook, "PARALLEL_FROM", parallel_from)
    monkeypatch.setattr(PhoneBook, "CHUNK", 2)
    book = PhoneBook.prepared(set(RAW))
    for raw in RAW:
        try:
            expected = normalize_phone(raw, field="sms")
        except DomainError as exc:
            with pytest.raises(DomainError) as err:
                book.normalize(raw, field="sms")
            assert err.value.message == exc.message
        else:
            assert book.normalize(raw, field="sms") == expected


def test_fictional_and_international_numbers_are_valid():
    assert normalize_phone("312-555-0199") == "+13125550199"
    assert normalize_phone("+52 55 1234 5678") == "+525512345678"
    assert display_phone("+13125550199") == "(312) 555-0199"
    assert display_phone("+525512345678").startswith("+52")
