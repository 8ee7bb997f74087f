"""The test suite itself refuses connections to any host but this machine."""

from __future__ import annotations

import socket

import pytest


def test_connection_to_other_host_fails() -> None:
    with socket.socket() as sock, pytest.raises(AssertionError, match="only loopback"):
        sock.connect(("192.0.2.1", 443))
