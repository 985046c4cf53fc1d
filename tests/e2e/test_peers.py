"""The end-to-end tier's peer starter: a peer that does not start fails the test with a sentence."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from sandbox.ports import free_port
from tests.e2e import peers


def test_a_peer_that_exits_fails_the_test_naming_it_and_its_log(tmp_path: Path) -> None:
    log = tmp_path / "broker.log"
    cmd = [sys.executable, "-c", "import sys; print('Error: unknown option listener_x'); sys.exit(3)"]
    with pytest.raises(pytest.fail.Exception) as failed, peers.running_peer("mosquitto", cmd, lambda: False, log):
        pass
    sentence = str(failed.value)
    assert sentence.startswith(f"mosquitto did not start: it exited with code 3; its log: {log}")
    assert "Error: unknown option listener_x" in sentence


def test_a_peer_that_never_answers_fails_after_the_deadline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(peers, "START_SECONDS", 0.3)
    cmd = [sys.executable, "-c", "import time; time.sleep(30)"]
    with pytest.raises(pytest.fail.Exception) as failed, peers.running_peer("sshd", cmd, lambda: False, tmp_path / "s.log"):
        pass
    assert str(failed.value).startswith("sshd did not start: no answer within 0 s; its log: ")


def test_a_peer_that_answers_is_yielded_and_stopped(tmp_path: Path) -> None:
    port = free_port()
    server = f"import socket,time; s=socket.socket(); s.bind(('127.0.0.1',{port})); s.listen(); time.sleep(30)"

    def answers() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    with peers.running_peer("listener", [sys.executable, "-c", server], answers, tmp_path / "l.log") as proc:
        assert proc.poll() is None
    assert proc.poll() is not None


def test_free_port_is_free_for_tcp_and_udp_when_asked() -> None:
    port = free_port(udp=True)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
        udp.bind(("127.0.0.1", port))
        tcp.bind(("127.0.0.1", port))
