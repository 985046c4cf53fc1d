"""An AWS endpoint that answers HTML (a proxy's error page): one sentence everywhere, no credential anywhere.

The peer is a real HTTP server on loopback (Python's http.server over an empty directory, the
reproduction of the report): POST gets its 501 HTML page, GET its 404 HTML page.
"""

from __future__ import annotations

import functools
import html
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from textual.app import App

import tui.app
from tests.conftest import run_cli
from tui.app import TtesConsoleApp
from tui.cli.plan_cmd import parse_params

ACCESS_KEY_ID = "AKIAMARKERKEYID00042"
SECRET_KEY = "secret-marker-5f3b0c8e9d7a"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLEsessionTOKENmarker0042"
SENTENCE = "with something that is not an AWS response"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def html_endpoint(tmp_path: Path) -> Iterator[str]:
    served = tmp_path / "www"
    served.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def setup(html_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str]]:
    config = tmp_path / "config.toml"
    config.write_text(
        'default_profile = "proxy"\n[profiles.proxy]\nstack = "ttes-prod"\nregion = "eu-west-1"\n'
        f'endpoint_url = "{html_endpoint}"\naudit_log = "{tmp_path / "audit.jsonl"}"\n'
    )
    env = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_SESSION_TOKEN": SESSION_TOKEN,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "HOME": str(tmp_path / "home"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return config, env


def assert_no_credential(*texts: str) -> None:
    for text in texts:
        assert ACCESS_KEY_ID not in text and SESSION_TOKEN not in text and SECRET_KEY not in text
        assert "Credential=" not in text and "X-Amz-Security-Token" not in text


def files_under(root: Path) -> list[str]:
    return [p.read_text(errors="replace") for p in root.rglob("*") if p.is_file()]


def test_stack_and_check_print_one_sentence(setup: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    config, env = setup
    stack = run_cli("--config", str(config), "stack", env=env)
    assert stack.returncode == 1 and stack.stdout == ""
    assert stack.stderr.count("\n") == 1 and SENTENCE in stack.stderr and "Traceback" not in stack.stderr
    check = run_cli("--config", str(config), "check", env=env)
    assert check.returncode == 3, check.stdout + check.stderr
    assert check.stderr == "" and "Traceback" not in check.stdout
    assert check.stdout.splitlines()[0].startswith("UNKNOWN   stack") and SENTENCE in check.stdout
    as_json = run_cli("--config", str(config), "check", "--json", env=env)
    assert as_json.returncode == 3 and '"status": "unknown"' in as_json.stdout
    assert_no_credential(stack.stdout, stack.stderr, check.stdout, check.stderr, as_json.stdout, as_json.stderr,
                         *files_under(tmp_path))


def screen_text(app: App[object]) -> str:
    svg = app.export_screenshot()
    return html.unescape("".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))).replace("\xa0", " ")


async def test_the_tui_shows_the_sentence_in_the_stack_pane(
    setup: tuple[Path, dict[str, str]], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from services.core.config import load_profile

    config, _ = setup
    app = TtesConsoleApp(load_profile(config, environ={}))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(300):
            if "not an AWS response" in screen_text(app):
                break
            await pilot.pause(0.05)
        text = " ".join(screen_text(app).split())
        assert "answered cloudformation:" in text and "not an AWS response" in text
        await pilot.press("r")  # the console keeps running
        await pilot.pause()
    assert app.return_code in (None, 0)
    out, err = capfd.readouterr()
    assert_no_credential(out, err, *files_under(tmp_path))


class CrashingApp(TtesConsoleApp):
    """The console with one key bound to a bug whose frame holds a signed request, as botocore's do."""

    CSS_PATH = str(Path(tui.app.__file__).with_name("app.tcss"))
    BINDINGS = [("x", "crash", "crash")]  # noqa: RUF012

    def action_crash(self) -> None:
        headers = {
            "Authorization": f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20261202/eu-west-1/sts/aws4_request",
            "X-Amz-Security-Token": SESSION_TOKEN,
        }
        raise RuntimeError(f"a bug with {len(headers)} headers in scope")


async def test_a_crash_prints_a_sentence_and_logs_no_locals_and_no_credential(
    setup: tuple[Path, dict[str, str]], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from services.core.config import load_profile

    config, _ = setup
    app = CrashingApp(load_profile(config, environ={}))
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("x")
            await pilot.pause()
    assert app.return_code == 1
    out, err = capfd.readouterr()
    from tui import diagnostics

    log = diagnostics.default_log_path()
    diagnostics.configure(debug=False, log_file=None, interactive=False)
    assert str(log).startswith(str(tmp_path))
    assert "stopped on an unexpected error (RuntimeError" in err and str(log) in err.replace("\n", "")
    assert "Traceback" not in err and "headers =" not in err
    logged = log.read_text()
    assert "RuntimeError: a bug with 2 headers in scope" in logged and "action_crash" in logged
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    assert_no_credential(out, err, logged, *files_under(tmp_path))


def test_a_parameter_that_is_not_utf8_is_one_sentence() -> None:
    from services.core.errors import ConfigError

    not_utf8 = b"DatabaseName=caf\xe9".decode("utf-8", "surrogateescape")  # what argv gives in a Latin-1 shell
    with pytest.raises(ConfigError, match=r"--param DatabaseName=caf\\xe9 is not valid UTF-8"):
        parse_params([not_utf8])


def test_a_parameter_that_is_not_utf8_from_the_command_line(setup: tuple[Path, dict[str, str]]) -> None:
    import os
    import subprocess
    import sys

    config, env = setup
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--config", str(config), "plan", "--param", b"DatabaseName=caf\xe9"],
        capture_output=True, env={**os.environ, **env, "LC_ALL": "C.UTF-8"}, cwd=root, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and b"is not valid UTF-8" in proc.stderr and b"Traceback" not in proc.stderr


def test_the_diagnostic_log_filter_scrubs_signed_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import logging

    from tui.diagnostics import ScrubbingFormatter

    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(ScrubbingFormatter())
    log = logging.getLogger("ttes-console.test-scrub")
    log.setLevel(logging.DEBUG)
    log.addHandler(handler)
    log.propagate = False
    log.warning("Sending http request: %s", {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20261202/eu-west-1/sts/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=0123456789abcdef",
        "X-Amz-Security-Token": SESSION_TOKEN,
    })
    text = stream.getvalue()
    assert "Sending http request" in text and "[redacted]" in text
    assert ACCESS_KEY_ID not in text and SESSION_TOKEN not in text
    assert "0123456789abcdef" not in text
