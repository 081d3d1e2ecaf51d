"""curl sends Chinese characters in a URL as raw UTF-8 bytes; the real server
must answer them as if they were percent-encoded (README's curl command)."""

import socket

import pytest

from zwgk.web.server import percent_encode_high_bytes


def test_percent_encoding_of_high_bytes():
    assert percent_encode_high_bytes("/q?i=国".encode()) == b"/q?i=%E5%9B%BD"
    assert percent_encode_high_bytes(b"/plain?x=1") == b"/plain?x=1"


def raw_get(port: int, target: bytes, accept: bytes = b"text/csv") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: " + accept + b"\r\nConnection: close\r\n\r\n")
        chunks = []
        while data := s.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


@pytest.mark.slow
def test_curl_style_request_with_raw_utf8(server_process, free_port, zwgk_command):
    port = free_port()
    with server_process([*zwgk_command, "serve", "--port", str(port)], port):
        answer = raw_get(port, "/queries/items-citing?instrument=国务院令765号".encode())
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        numbers = [line.split(b",")[1] for line in body.strip().splitlines()[1:]]
        assert numbers == [b"6", b"9", b"30", b"31", b"32", b"33", b"34", b"37"]
        missing = raw_get(port, "/queries/items-citing?instrument=无此文件".encode(), b"application/json")
        assert missing.startswith(b"HTTP/1.1 400") and "无此文件".encode() in missing
