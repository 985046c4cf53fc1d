"""The family of domain errors services raise.

Every error carries one operator-readable sentence: what failed, why, and what to do.
The UI shows it in the pane that failed; the CLI prints it to stderr and exits non-zero.
"""

from __future__ import annotations

from services.core.safe_text import safe_text


class ConsoleError(Exception):
    """Base class: ``str(error)`` is the sentence shown to the operator.

    Sentences quote remote text (AWS messages, host banners, stack reasons), so the sentence is
    made safe once, here, for every place that prints or shows it.
    """

    def __init__(self, message: str) -> None:
        message = safe_text(message)
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(ConsoleError):
    """The configuration file or a command-line value is not usable."""


class ReadOnlyRefused(ConsoleError):
    """A mutating action was attempted under ``--read-only``."""


# --- AWS -------------------------------------------------------------------------------


class AwsError(ConsoleError):
    """An AWS call failed for a reason not covered by a more specific error."""

    def __init__(self, message: str, *, code: str = "", request_id: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.request_id = request_id


class StackNotFound(AwsError):
    """The configured CloudFormation stack does not exist in the region."""


class AccessDenied(AwsError):
    """The AWS principal is not allowed to make the call."""


class CredentialsExpired(AwsError):
    """The AWS credentials (often an SSO session) have expired."""


class NoCredentials(AwsError):
    """No AWS credentials could be found."""


class Throttled(AwsError):
    """AWS kept throttling the call after the SDK's retries."""


class EndpointUnreachable(AwsError):
    """The AWS endpoint could not be reached (network, DNS, proxy)."""


# --- network peers (SSH, DNS, TLS, MQTT) ---------------------------------------------


class Unreachable(ConsoleError):
    """A host did not answer: refused, timed out, or its name did not resolve."""


class HostKeyUnknown(ConsoleError):
    """The SSH server offered a host key that is not in known_hosts."""

    def __init__(self, message: str, *, host: str = "", fingerprint: str = "") -> None:
        super().__init__(message)
        self.host = host
        self.fingerprint = fingerprint


class HostKeyMismatch(HostKeyUnknown):
    """The SSH server offered a host key different from the one in known_hosts."""


class AuthFailed(ConsoleError):
    """The remote side refused our credentials (SSH key, sudo password, certificate)."""


# --- change sets (appended by the change-set work) -------------------------------------


class StackNotReady(ConsoleError):
    """The stack is in a state (in progress, failed) where no update may start."""


class ChangeSetFailed(ConsoleError):
    """CloudFormation could not create the change set (template or parameter problem)."""


class InvalidParameter(ConfigError):
    """A parameter given for a change set is unknown to the template or not an allowed value."""


class ExecutionRefused(ConsoleError):
    """The console refused to execute a change set (wrong confirmation, no fresh snapshot)."""


# --- snapshots (appended by the snapshots work) --------------------------------------


class InvalidSnapshotName(ConfigError):
    """A snapshot or backup name breaks the service's naming rules."""


class SnapshotQuotaExceeded(AwsError):
    """The account holds as many manual snapshots/backups as its quota allows."""


class SnapshotAlreadyExists(AwsError):
    """A snapshot or backup with that name already exists."""


class DatabaseBusy(AwsError):
    """The database is in a state that cannot be snapshotted now (backing up, modifying…)."""


class SnapshotFailed(ConsoleError):
    """A snapshot ended in a failed state or disappeared while being followed."""


# --- the audited path ------------------------------------------------------------------


class AuditUnavailable(ConsoleError):
    """The audit log cannot be written, so the action it would record is not made."""


class ActionRefused(ConsoleError):
    """The console refused a mutating action for a reason of its own (confirmation, guard)."""
