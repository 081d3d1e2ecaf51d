"""Running the app: uvicorn on h11, accepting raw UTF-8 in request targets.

People type ``curl 'http://127.0.0.1:8000/queries/items-citing?instrument=国务院令765号'``:
curl sends the Chinese characters as raw UTF-8 bytes, which HTTP/1.1 (RFC 9112)
does not allow in a request target, and h11 and llhttp refuse the whole
request. Browsers percent-encode such bytes; we do the same on arrival
(each byte ≥ 0x80 becomes ``%XX``), so the app sees a valid, equivalent URL.

h11 buffers at most ``max_url_bytes`` plus 32 KiB of request line and headers;
a request it cannot read is answered in the one JSON error shape (414, 431 or
400), not uvicorn's plain text, and h11's reason is told as text (the bytes it
could not read quoted, not as a Python ``bytearray(b'…')``).

uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 by default, so any local
client could pose as any address (and reset its rate-limit bucket): here proxy
headers are ignored unless the ``forwarded_allow_ips`` setting names the proxies.
"""

from __future__ import annotations

import ast
import re

_HIGH = re.compile(rb"[\x80-\xff]")
_QUOTED = r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_BYTES_REPR = re.compile(rf"(?<!\w)bytearray\(b{_QUOTED}\)|(?<!\w)b{_QUOTED}")
QUOTED_BYTES = 60  # at most this many characters of what h11 could not read are quoted back


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


def clean_h11_message(message: str) -> str:
    """h11's reason for refusing a request, as text: a ``bytearray(b'…')`` or ``b'…'``
    in it becomes the bytes it holds, decoded, control characters shown as ``\\xNN``,
    quoted and cut to ``QUOTED_BYTES`` characters."""
    def text(m: re.Match[str]) -> str:
        try:
            raw = ast.literal_eval("b" + (m.group(1) or m.group(2)))
        except (ValueError, SyntaxError):
            return "(unreadable bytes)"
        decoded = raw.decode("utf-8", "replace")
        shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in decoded)
        if len(shown) > QUOTED_BYTES:
            shown = shown[:QUOTED_BYTES] + "…"
        return f"“{shown}”"

    return _BYTES_REPR.sub(text, message)


HEADER_ALLOWANCE = 32 * 1024  # bytes of headers accepted beside a request target of max_url_bytes


def protocol_class(max_url_bytes: int):
    """uvicorn's h11 protocol, answering a request it cannot read with the one
    JSON error shape: 414 for a request line longer than h11 will buffer, 431
    for too many header bytes, 400 for anything else, instead of a plain-text 400."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    from .errors import error_json_bytes
    from .limits import PAGE_POLICY

    class Protocol(H11Protocol):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.zwgk_error: h11.RemoteProtocolError | None = None
            read = self.conn.next_event

            def next_event():
                try:
                    return read()
                except h11.RemoteProtocolError as exc:
                    self.zwgk_error = exc
                    raise

            self.conn.next_event = next_event

        def send_400_response(self, msg: str) -> None:
            exc, status, title = self.zwgk_error, 400, "Bad Request"
            message = "the request cannot be read as HTTP/1.1"
            if exc is not None and exc.error_status_hint == 431:
                buffered = bytes(getattr(self.conn, "_receive_buffer", b""))
                if b"\r\n" not in buffered and b"\n" not in buffered:
                    status, title = 414, "URI Too Long"
                    message = (f"the request target is longer than {max_url_bytes} bytes, the limit set by the "
                               "max_url_bytes setting (zwgk serve --max-url-bytes); send a long SPARQL query by POST")
                else:
                    status, title = 431, "Request Header Fields Too Large"
                    message = (f"the request line and headers are larger than {max_url_bytes + HEADER_ALLOWANCE} bytes "
                               f"(the max_url_bytes setting plus {HEADER_ALLOWANCE} bytes for headers)")
            elif exc is not None:
                message += f": {clean_h11_message(str(exc))}"
            body = error_json_bytes(status, title, message)
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                       (b"connection", b"close"),  # the headers every answer carries (limits.SecurityHeaders)
                       (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                       (b"content-security-policy", PAGE_POLICY.encode("latin-1")), (b"referrer-policy", b"same-origin")]
            for event in (h11.Response(status_code=status, headers=headers, reason=title.encode()),
                          h11.Data(data=body), h11.EndOfMessage()):
                self.transport.write(self.conn.send(event))
            self.transport.close()

    return Protocol


def bound_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each thread that allocates its own malloc arena (up to 8 per CPU): with
    the request threads of a busy server, memory then creeps up for minutes as each arena
    fragments. A few shared arenas keep the server's RSS flat (bench/soak.py measures it).
    Not glibc (musl, macOS): nothing to do."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def run(app, host: str, port: int) -> None:
    import uvicorn

    bound_malloc_arenas()

    from .settings import Settings

    state = getattr(app.state, "zwgk", None)
    settings = state.settings if state is not None else Settings()
    accept_utf8_request_targets()
    uvicorn.run(app, host=host, port=port, http=protocol_class(settings.max_url_bytes), log_level="warning",
                h11_max_incomplete_event_size=settings.max_url_bytes + HEADER_ALLOWANCE,
                **proxy_options(settings))


def proxy_options(settings) -> dict:
    """uvicorn's proxy-header options: off unless ``forwarded_allow_ips`` names the proxies."""
    if settings.forwarded_allow_ips:
        return {"proxy_headers": True, "forwarded_allow_ips": settings.forwarded_allow_ips}
    return {"proxy_headers": False}
