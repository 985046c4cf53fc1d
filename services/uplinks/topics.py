"""Where the uplink feed subscribes: the endpoint, the profile's topic (narrowed, shared) and client ids."""

from __future__ import annotations

import getpass
import re
import uuid

from services.core.aws import AwsClients
from services.core.config import Profile
from services.core.config_ranges import TEMPLATE_PLACEHOLDERS, fill_template
from services.core.errors import ConfigError


def topic_filter(profile: Profile, app: str | None = None, device: str | None = None) -> str:
    """The profile's topic with ``{stack}`` filled in, narrowed to one application and/or device."""
    try:
        topic = fill_template(profile.iot.topic, TEMPLATE_PLACEHOLDERS[("iot", "topic")], stack=profile.stack)
    except ValueError as exc:
        raise ConfigError(f"iot.topic: {exc}.") from None
    parts = topic.split("/")
    if len(parts) == 6 and parts[3] == "things":
        parts[2] = app or parts[2]
        parts[4] = device or parts[4]
    elif app or device:
        raise ConfigError(
            f"iot.topic {topic!r} is not shaped lorawan/<stack>/<app>/things/<device>/up, "
            "so --app/--device cannot narrow it."
        )
    return "/".join(parts)


def connection_filters(base: str, connections: int) -> list[str]:
    """Filters for N connections: one plain subscription, or an AWS IoT shared subscription each.

    AWS IoT Core delivers each message of ``$share/<group>/<filter>`` to one member of the group,
    so N connections carry N × 100 msg/s between them.
    """
    if connections <= 1:
        return [base]
    group = f"ttes-console-{uuid.uuid4().hex[:8]}"
    return [f"$share/{group}/{base}"] * connections


def client_id(index: int) -> str:
    """Unique per console instance and connection (AWS disconnects the older of two equal ids)."""
    user = re.sub(r"[^A-Za-z0-9_-]", "", getpass.getuser())[:24] or "operator"
    return f"ttes-console-{user}-{uuid.uuid4().hex[:12]}-{index}"


async def resolve_endpoint(profile: Profile) -> str:
    """The configured endpoint, else the account's ``iot:Data-ATS`` endpoint."""
    if profile.iot.endpoint:
        return profile.iot.endpoint
    answer = await AwsClients(profile).call("iot", "describe_endpoint", endpointType="iot:Data-ATS")
    return str(answer["endpointAddress"])
