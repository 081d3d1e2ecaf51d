"""Running the app: uvicorn on h11, accepting raw UTF-8 in request targets.

People type ``curl 'http://127.0.0.1:8000/queries/items-citing?instrument=国务院令765号'``:
curl sends the Chinese characters as raw UTF-8 bytes, which HTTP/1.1 (RFC 9112)
does not allow in a request target, and h11 and llhttp refuse the whole
request. Browsers percent-encode such bytes; we do the same on arrival
(each byte ≥ 0x80 becomes ``%XX``), so the app sees a valid, equivalent URL.
Nothing else about request parsing changes.
"""

from __future__ import annotations

import re

_HIGH = re.compile(rb"[\x80-\xff]")


def percent_encode_high_bytes(target: bytes) -> bytes:
    return _HIGH.sub(lambda m: b"%%%02X" % m.group()[0], target)


def accept_utf8_request_targets() -> None:
    """Teach h11 to accept and percent-encode raw UTF-8 in the request line."""
    import h11._abnf as abnf
    import h11._readers as readers
    from h11._events import Request
    from h11._state import CLIENT, IDLE

    if getattr(readers, "_zwgk_patched", False):
        return
    line = (
        rf"(?P<method>{abnf.method}) (?P<target>[\x21-\x7e\x80-\xff]+) {abnf.http_version}"
    )
    relaxed = re.compile(line.encode("latin-1"))

    def read_request_line(buf):
        lines = buf.maybe_extract_lines()
        if lines is None:
            if buf.is_next_line_obviously_invalid_request_line():
                raise readers.LocalProtocolError("illegal request line")
            return None
        if not lines:
            raise readers.LocalProtocolError("no request line received")
        matches = readers.validate(relaxed, lines[0], "illegal request line: {!r}", lines[0])
        matches["target"] = percent_encode_high_bytes(matches["target"])
        return Request(headers=list(readers._decode_header_lines(lines[1:])), _parsed=True, **matches)

    readers.maybe_read_from_IDLE_client = read_request_line
    readers.READERS[(CLIENT, IDLE)] = read_request_line
    readers._zwgk_patched = True


def run(app, host: str, port: int) -> None:
    import uvicorn

    accept_utf8_request_targets()
    uvicorn.run(app, host=host, port=port, http="h11", log_level="warning")
