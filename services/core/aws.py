"""boto3 clients for a profile, called off the event loop, with errors turned into sentences.

One boto3 session per AWS profile is shared by every service in the process (the stack, the
health checks, the uplink feed's websocket signing): SSO and assume-role work happens once and
botocore refreshes the credentials it resolved. Clients are shared the same way.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from typing import Any

from services.core.config import Profile
from services.core.errors import (
    AccessDenied,
    AwsError,
    ConfigError,
    ConsoleError,
    CredentialsExpired,
    EndpointUnreachable,
    NoCredentials,
    StackNotFound,
    Throttled,
)

_ACCESS_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
}
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
}


# The environment that decides which credentials a session resolves: a change (another HOME, a
# demo's sandbox keys) must not be answered from a session built for the old one.
_SESSION_ENV = (
    "HOME",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_PROFILE",
)
_LOCK = threading.Lock()
_SESSIONS: dict[tuple[str | None, ...], Any] = {}


class MfaRequired(NoCredentials):
    """The AWS profile wants an MFA code and no cached credentials exist."""


def require_region(profile: Profile) -> str:
    """The profile's region, or the sentence asking for one (there is no silent default)."""
    if not profile.region:
        aws = f" or `region` in [profile {profile.aws_profile}] of ~/.aws/config" if profile.aws_profile else ""
        raise ConfigError(
            f"No AWS region for profile {profile.name}: pass --region, set `region` in the profile, "
            f"set AWS_REGION{aws}."
        )
    return profile.region


def aws_session(profile: Profile) -> Any:
    """The boto3 session of ``profile.aws_profile``, built once per process (boto3 is imported here)."""
    key = (profile.aws_profile, *(os.environ.get(name) for name in _SESSION_ENV))
    with _LOCK:
        session = _SESSIONS.get(key)
        if session is None:
            session = _SESSIONS[key] = _new_session(profile)
        return session


def _new_session(profile: Profile) -> Any:
    import boto3
    from botocore import exceptions as bx
    from botocore.utils import JSONFileCache

    try:
        session = boto3.session.Session(profile_name=profile.aws_profile or None)
    except bx.BotoCoreError as exc:
        raise translate_error(exc, profile, "loading the AWS profile") from None
    provider = session._session.get_component("credential_provider").get_provider("assume-role")

    def refuse_prompt(prompt: str) -> str:
        raise MfaRequired(
            f"AWS profile {profile.aws_profile or 'default'} asks for an MFA code, which the console cannot "
            "prompt for while it owns the terminal; get credentials first (e.g. `aws sts get-caller-identity "
            f"--profile {profile.aws_profile or 'default'}` caches them) and retry."
        )

    # Roles assumed with MFA are looked up in the aws CLI's own cache first (and kept there).
    provider.cache = JSONFileCache(working_dir=os.path.expanduser(os.path.join("~", ".aws", "cli", "cache")))
    provider._prompter = refuse_prompt
    return session


class AwsClients:
    """Lazily built, cached boto3 clients for one profile, from the shared session (thread-safe)."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        """The boto3 client for ``service``; built on first use (boto3 is imported here)."""
        client = self._clients.get(service)
        if client is None:
            region = require_region(self.profile)
            session = aws_session(self.profile)
            with _LOCK:  # a boto3 session does not build clients safely from two threads at once
                client = self._clients.setdefault(service, self._make_client(session, service, region))
        return client

    def _make_client(self, session: Any, service: str, region: str) -> Any:
        from botocore.config import Config

        config = Config(
            region_name=region,
            retries={"mode": "adaptive", "max_attempts": 6},
            connect_timeout=5,
            read_timeout=20,
            user_agent_extra="ttes-console",
        )
        return session.client(service, endpoint_url=self.profile.endpoint_url or None, config=config)

    async def call(self, service: str, operation: str, /, **kwargs: Any) -> dict[str, Any]:
        """Call ``client(service).<operation>(**kwargs)`` in a thread; domain errors on failure."""
        return await asyncio.to_thread(self.call_sync, service, operation, **kwargs)

    def call_sync(self, service: str, operation: str, /, **kwargs: Any) -> dict[str, Any]:
        """The blocking form of :meth:`call`, for code already off the event loop."""
        try:
            method: Callable[..., dict[str, Any]] = getattr(self.client(service), operation)
            return method(**kwargs)
        except ConsoleError:
            raise
        except Exception as exc:
            raise translate_error(exc, self.profile, f"{service}:{operation}") from exc


async def all_pages(clients: AwsClients, service: str, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    """The ``key`` items of every page of a ``Marker``-paged call (RDS and ElastiCache describe_*)."""
    items: list[dict[str, Any]] = []
    while True:
        page = await clients.call(service, operation, **kwargs)
        items.extend(page.get(key, []))
        marker = page.get("Marker")
        if not marker:
            return items
        kwargs["Marker"] = marker


def translate_error(exc: Exception, profile: Profile, action: str) -> ConsoleError:
    """Turn a botocore/boto3 exception into one sentence for the operator."""
    from botocore import exceptions as bx

    if isinstance(exc, bx.ClientError) and _is_a_page(exc.response):
        return _not_an_aws_answer(exc, profile, action)
    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", "")).rstrip(".")
        meta = exc.response.get("ResponseMetadata", {})
        # Some services (and moto) carry the request id only in the response header.
        request_id = str(meta.get("RequestId") or meta.get("HTTPHeaders", {}).get("x-amzn-requestid", ""))
        if code == "ValidationError" and "does not exist" in message and "Stack" in message:
            return StackNotFound(
                f"Stack {profile.stack} not found in {profile.region}; check the stack name (--stack) "
                "and the region (--region).",
                code=code,
                request_id=request_id,
            )
        if code in _ACCESS_DENIED:
            return AccessDenied(
                f"AWS denied {action} to {_who(profile)}: {message or code}. "
                "Ask for that permission or use a role that has it.",
                code=code,
                request_id=request_id,
            )
        if code in _EXPIRED:
            return CredentialsExpired(_expired_sentence(profile), code=code, request_id=request_id)
        if code in _THROTTLED:
            return Throttled(
                f"AWS kept throttling {action} in {profile.region} after retries ({code}); wait a minute and retry.",
                code=code,
                request_id=request_id,
            )
        return AwsError(f"AWS refused {action}: {message or code} ({code}).", code=code, request_id=request_id)
    if isinstance(exc, (bx.TokenRetrievalError, bx.SSOError)):
        return CredentialsExpired(_sso_sentence(profile))
    if isinstance(exc, bx.CredentialRetrievalError):
        return NoCredentials(
            f"The AWS credentials of {_who(profile)} could not be obtained ({exc}); run the profile's "
            "credential_process by hand to see why, fix it, and retry."
        )
    if isinstance(exc, bx.NoCredentialsError):
        return NoCredentials(
            "No AWS credentials found; set AWS_PROFILE or --aws-profile, run `aws configure`, or use an instance role."
        )
    if isinstance(exc, bx.ProfileNotFound):
        return NoCredentials(f"AWS profile {profile.aws_profile!r} is not in ~/.aws/config or ~/.aws/credentials.")
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        where = profile.endpoint_url or f"the AWS endpoint in {profile.region}"
        return EndpointUnreachable(f"Could not reach {where} for {action}: {exc}. Check the network, proxy and region.")
    if isinstance(exc, bx.ParamValidationError):
        return AwsError(f"Invalid request for {action}: {exc}.")
    if isinstance(exc, bx.BotoCoreError):
        return AwsError(f"AWS call {action} failed: {exc}.")
    return _not_an_aws_answer(exc, profile, action)


def _who(profile: Profile) -> str:
    return f"AWS profile {profile.aws_profile}" if profile.aws_profile else "these credentials"


def _expired_sentence(profile: Profile) -> str:
    login = f"aws sso login --profile {profile.aws_profile}" if profile.aws_profile else "aws sso login"
    return f"The AWS credentials have expired; renew them (for SSO: `{login}`) and retry."


def _sso_sentence(profile: Profile) -> str:
    name = profile.aws_profile or "default"
    return (
        f"The AWS SSO session of profile {name} has expired or was never started (no cached token); "
        f"run `aws sso login --profile {name}` and retry."
    )


async def caller_arn(clients: AwsClients) -> str:
    """The ARN of the AWS principal the console acts as (sts:GetCallerIdentity)."""
    identity = await clients.call("sts", "get_caller_identity")
    return str(identity.get("Arn", ""))


def _not_an_aws_answer(exc: Exception, profile: Profile, action: str) -> ConsoleError:
    """What is left once botocore's own families are handled: answers that are not AWS's, the OS.

    A proxy's or load balancer's error page (HTML where AWS XML or JSON belongs) surfaces as
    botocore's ``ResponseParserError``, which is no ``BotoCoreError``; its text holds the page, so
    the sentence names the endpoint and never repeats what came back.
    """
    from botocore.parsers import ResponseParserError

    where = profile.endpoint_url or f"the AWS endpoint in {profile.region}"
    status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    if isinstance(exc, ResponseParserError) or status:
        answer = f"HTTP {status} and a page" if status else "something"
        return EndpointUnreachable(
            f"{where} answered {action} with {answer} that is not an AWS response (a proxy's or load "
            "balancer's page?); check endpoint_url, the proxy settings (HTTPS_PROXY) and the region."
        )
    if isinstance(exc, UnicodeError):
        return AwsError(f"Could not send {action}: a value is not valid text ({type(exc).__name__}); "
                        "give parameters as UTF-8.")
    if isinstance(exc, OSError):
        reason = exc.strerror or type(exc).__name__
        return EndpointUnreachable(f"Could not reach {where} for {action}: {reason}. "
                                   "Check the network, proxy and region.")
    raise exc


def _is_a_page(response: Any) -> bool:
    """An error whose body was not AWS's: botocore names it by the HTTP status and keeps the body."""
    error = response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    return code.isdigit() and (message.lstrip().startswith("<") or "\n" in message)
