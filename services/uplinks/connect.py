"""Getting an AWS IoT connection: the TLS pre-flight, SigV4 credentials, awscrt futures, error sentences.

Split from services/iot.py (the feed itself); nothing here runs per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from pathlib import Path
from typing import Any

from services.core.config import Profile
from services.core.errors import AuthFailed, ConfigError, ConsoleError, NoCredentials, Unreachable


async def preflight_tls(profile: Profile, endpoint: str, timeout: float = 10.0) -> None:
    """Check the TLS layer with Python's ssl first: awscrt reports a bad CA only after a 10–30 s delay."""
    iot = profile.iot
    if iot.auth == "mtls" and not (iot.cert_file and iot.key_file):
        raise ConfigError(
            "iot.auth is mtls but no client certificate is configured; set iot.cert_file and "
            'iot.key_file, or use auth = "websocket" with AWS credentials.'
        )
    for key in ("ca_file", "cert_file", "key_file") if iot.auth == "mtls" else ("ca_file",):
        path = getattr(iot, key)
        if path and not Path(path).expanduser().is_file():
            raise ConfigError(f"iot.{key} {path} does not exist or is not a file.")
    try:
        context = ssl.create_default_context(cafile=iot.ca_file or None)
        if iot.auth == "mtls":
            context.load_cert_chain(iot.cert_file, iot.key_file or None)
        context.set_alpn_protocols(["http/1.1"] if iot.auth == "websocket" else ["x-amzn-mqtt-ca"])
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"The IoT TLS files cannot be used ({reason(exc)}); check iot.ca_file, iot.cert_file and iot.key_file."
        ) from None
    where = f"{endpoint}:{iot.port}"
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(endpoint, iot.port, ssl=context, server_hostname=endpoint), timeout
        )
    except ssl.SSLCertVerificationError as exc:
        raise AuthFailed(
            f"The IoT endpoint {where} presented a certificate this console does not trust "
            f"({exc.verify_message}); set iot.ca_file to the CA that signed it."
        ) from None
    except ssl.SSLError as exc:
        hint = " (no client certificate: set iot.cert_file and iot.key_file)" if "certificate" in str(exc) else ""
        raise AuthFailed(f"TLS with the IoT endpoint {where} failed: {reason(exc)}{hint}.") from None
    except TimeoutError:
        raise Unreachable(
            f"The IoT endpoint {where} did not answer within {timeout:.0f} s; "
            "check the endpoint, the port and the network."
        ) from None
    except OSError as exc:
        raise Unreachable(
            f"Cannot reach the IoT endpoint {where}: {reason(exc)}; check iot.endpoint and iot.port."
        ) from None
    try:
        if iot.auth == "mtls":
            # TLS 1.3: a server that rejects our certificate says so only after the client's handshake ends.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(reader.read(1), 0.3)
    except (ssl.SSLError, OSError) as exc:
        raise AuthFailed(
            f"The IoT endpoint {where} refused this client certificate ({reason(exc)}); check "
            "iot.cert_file and iot.key_file, and that the certificate is registered and active."
        ) from None
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()


def reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason).replace("_", " ").lower()
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def credentials_provider(profile: Profile) -> Any:
    """awscrt credentials from boto3's chain (env, profiles, SSO, instance role), refreshed as boto3 does."""
    import awscrt.auth

    from services.core.aws import aws_session, require_region, translate_error

    require_region(profile)  # SigV4 signs for a region: ask for one now, not inside awscrt
    session = aws_session(profile)

    def current() -> Any:
        try:
            creds = session.get_credentials()
            frozen = creds.get_frozen_credentials() if creds is not None else None
        except ConsoleError:
            raise
        except Exception as exc:  # SSO tokens, credential_process, assume-role: the same sentences as every call
            raise translate_error(exc, profile, "signing the IoT websocket") from None
        if frozen is None:
            raise NoCredentials(
                "No AWS credentials found to sign the IoT websocket; set AWS_PROFILE or "
                "--aws-profile, or run `aws configure`."
            )
        return awscrt.auth.AwsCredentials(frozen.access_key, frozen.secret_key, frozen.token)

    current()  # fail now, in one sentence, rather than inside the handshake
    return awscrt.auth.AwsCredentialsProvider.new_delegate(current)


async def await_crt(future: Any, timeout: float) -> Any:
    """Await an awscrt (concurrent.futures) future; giving up must not cancel it under awscrt's feet.

    ``asyncio.wrap_future`` cancels the source future when the waiter is cancelled (a timeout, the
    loop closing), and awscrt then fails setting its result on its own thread; relay instead.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Any] = loop.create_future()

    def settle(source: Any) -> None:
        if done.done():
            return
        error = source.exception()
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(source.result())

    def relay(source: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is already closed: nobody is waiting
            loop.call_soon_threadsafe(settle, source)

    future.add_done_callback(relay)
    return await asyncio.wait_for(done, timeout)


def connect_error(exc: BaseException, where: str, auth: str) -> ConsoleError:
    code = getattr(exc.args[0], "name", "") if exc.args else ""
    name = getattr(exc, "name", "") or code or type(exc).__name__
    if code in ("NOT_AUTHORIZED", "BAD_USERNAME_OR_PASSWORD"):
        what = "client certificate" if auth == "mtls" else "AWS credentials"
        return AuthFailed(
            f"The IoT endpoint {where} refused the connection ({code.lower().replace('_', ' ')}); "
            f"check the {what} and the IoT policy."
        )
    if name in ("AWS_ERROR_MQTT_PROTOCOL_ERROR", "AWS_ERROR_MQTT_UNEXPECTED_HANGUP"):
        what = "client certificate" if auth == "mtls" else "AWS credentials"
        return AuthFailed(
            f"The IoT endpoint {where} closed the MQTT connection as it opened ({name}); it usually "
            f"means the {what} or the IoT policy does not allow this client to connect."
        )
    if "TLS" in name or "CERT" in name:
        return AuthFailed(
            f"TLS with the IoT endpoint {where} failed ({name}); check iot.ca_file and, for mtls, "
            "iot.cert_file and iot.key_file."
        )
    if "REFUSED" in name or "TIMEOUT" in name or "HANGUP" in name:
        return Unreachable(
            f"The IoT endpoint {where} closed or refused the connection ({name}); check "
            "iot.endpoint, iot.port and iot.auth."
        )
    return ConsoleError(f"Connecting to the IoT endpoint {where} failed: {name}.")
