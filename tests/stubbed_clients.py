"""AwsClients whose boto3 clients are botocore-stubbed: for response shapes moto does not produce.

Each stub is validated by botocore's ``Stubber`` against the service's API model, so a test can
only feed the services what AWS could answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import boto3
from botocore.stub import Stubber

from services.core.aws import AwsClients
from services.core.config import Profile


class StubbedClients(AwsClients):
    """AwsClients whose clients for ``services`` are stubbed (validated against the API model)."""

    def __init__(self, profile: Profile, services: Sequence[str]) -> None:
        super().__init__(profile)
        self.stubbed: dict[str, Any] = {}
        self.stubbers: dict[str, Stubber] = {}
        for service in services:
            client = boto3.client(service, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
            self.stubbed[service] = client
            self.stubbers[service] = Stubber(client)
            self.stubbers[service].activate()

    def client(self, service: str) -> Any:
        return self.stubbed[service]
