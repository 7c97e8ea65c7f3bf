"""Every status QuickBooks Desktop answers here, with its message shape, in one place.

    Status (a request's answer: statusCode, statusSeverity, statusMessage)
     ├─ Info   0 OK, 1 query matched nothing
     ├─ Warn   500 some of the objects asked for were not found
     └─ Error  1030, 3000, 3020, 3070, 3100, 3120, 3140, 3170, 3175, 3176, 3180, 3200, 3210, 3231
    ProcessorError (the request processor refused the whole message: an HRESULT and its text,
                    what the Web Connector passes on in receiveResponseXML's hresult/message)

Sources per code are in docs/emulator-desktop.md (shared/qbd-reference.md §4, §5).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Status:
    code: int
    severity: str
    message: str


class StatusError(Exception):
    """A request that QuickBooks refuses; the processor answers it as its `…Rs` status."""

    def __init__(self, status: Status) -> None:
        super().__init__(status.message)
        self.status = status


class ProcessorError(Exception):
    """The whole message set is refused before any request runs (a COM error in QuickBooks)."""

    def __init__(self, hresult: str, message: str) -> None:
        super().__init__(message)
        self.hresult = hresult
        self.message = message


OK = Status(0, "Info", "Status OK")
NOTHING_FOUND = Status(1, "Info", "A query request did not find a matching object in QuickBooks")


def parse_error() -> ProcessorError:
    return ProcessorError(
        "0x80040400", "QuickBooks found an error when parsing the provided XML text stream."
    )


def version_error() -> ProcessorError:
    return ProcessorError(
        "0x80040428", "The version of QBXML that was requested is not supported or is unknown."
    )


def error(code: int, message: str) -> StatusError:
    return StatusError(Status(code, "Error", message))


def partial(missing: str) -> Status:
    return Status(
        500,
        "Warn",
        "The query request has not been fully completed. There was a required element "
        f'("{missing}") that could not be found in QuickBooks.',
    )


def unsupported(request: str) -> StatusError:
    return error(1030, f"The request {request} is not supported by this emulator.")


def bad_request_id(value: str) -> StatusError:
    return error(1060, f'The requestID "{value}" is invalid: it is longer than 50 characters.')


def invalid_id(value: str, field: str) -> StatusError:
    return error(3000, f'The given object ID "{value}" in the field "{field}" is invalid.')


def bad_date(value: str, field: str) -> StatusError:
    return error(
        3020, f'There was an error when converting the date value "{value}" in the field "{field}".'
    )


def bad_number(value: str, field: str) -> StatusError:
    return error(
        3020, f'There was an error when converting the number "{value}" in the field "{field}".'
    )


def too_long(value: str, field: str) -> StatusError:
    return error(3070, f'The string "{value}" in the field "{field}" is too long.')


def name_in_use(name: str) -> StatusError:
    return error(3100, f'The name "{name}" of the list element is already in use.')


def not_found(value: str) -> StatusError:
    return error(
        3120,
        f'Object "{value}" specified in the request cannot be found.  QuickBooks error message: '
        "Invalid argument.  The specified record does not exist in the list.",
    )


def invalid_reference(kind: str, value: str, where: str) -> StatusError:
    return error(
        3140,
        f'There is an invalid reference to QuickBooks {kind} "{value}" in the {where}.  '
        "QuickBooks error message: Invalid argument.  The specified record does not exist in "
        "the list.",
    )


def inactive_reference(kind: str, value: str, where: str) -> StatusError:
    """A transaction naming a list element made inactive (a class): refused as an invalid
    reference quoting the reference as sent (its ListID or its FullName, as every 3140 does),
    QuickBooks' reason saying why (that reason's text is ours, see
    docs/emulator-desktop.md)."""
    return error(
        3140,
        f'There is an invalid reference to QuickBooks {kind} "{value}" in the {where}.  '
        "QuickBooks error message: The list element is inactive.",
    )


LOCK_TEXTS = {
    3170: "modifying",
    3175: "modifying",
    3176: "modifying",
}
LOCK_REASONS = {
    3170: "This list has been modified by another user.",
    3175: "The list element is in use by another user.",
    3176: "Object internals could not be locked: failed to acquire the lock.",
}


def in_use(code: int, what: str, element: str) -> StatusError:
    return error(
        code,
        f'There was an error when {LOCK_TEXTS[code]} a {what}, element "{element}".  '
        f"QuickBooks error message: {LOCK_REASONS[code]}",
    )


def save_error(what: str, element: str, reason: str) -> StatusError:
    return error(
        3180,
        f'There was an error when saving a {what}, element "{element}".  '
        f"QuickBooks error message: {reason}",
    )


def cannot_delete(what: str, element: str, reason: str) -> StatusError:
    return error(
        3170,
        f'There was an error when deleting a {what}, element "{element}".  '
        f"QuickBooks error message: {reason}",
    )


def stale_edit(sequence: str) -> StatusError:
    return error(3200, f'The provided edit sequence "{sequence}" is out-of-date.')


def invalid_value(field: str, value: str, reason: str) -> StatusError:
    return error(
        3210,
        f'The "{field}" field has an invalid value "{value}".  QuickBooks error message: {reason}',
    )


NOT_PROCESSED = Status(3231, "Error", "The request has not been processed.")
