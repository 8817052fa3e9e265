"""The AWS session every cloud-library client comes from, and its failures in words a user can act on.

Credentials come only from boto3's standard chain (environment, ``~/.aws`` profiles, SSO, instance
roles); nothing here stores or prints a secret. No ``endpoint_url`` is ever passed: boto3 reads
``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_<SERVICE>`` itself, which is how the tests reach moto.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.exceptions as bce
from botocore.config import Config

from photosorter.cloud_function.runtime import error_code
from photosorter.core.analysis.rekognition.client import (
    CREDENTIALS_EXPIRED,
    CREDENTIALS_REJECTED,
    NO_CREDENTIALS,
    SSO_EXPIRED,
    TRANSIENT_CODES,
    credentials_owner,
    known_regions,
    login_hint,
)
from photosorter.core.errors import PhotosorterError
from photosorter.core.settings import Settings

_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 5},
    connect_timeout=10,
    read_timeout=60,
    user_agent_extra="photosorter-cloud",
)
_NO_REGION = "no AWS region is set: pass --region (e.g. us-east-1) or choose one in Settings"
_DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "OptInRequired", "AuthorizationError"}
)
_GONE = frozenset({"NoSuchBucket", "ResourceNotFoundException"})


class CloudError(PhotosorterError):
    """A cloud-library failure with one message that says what to do."""


class CloudUnavailable(CloudError):
    """The cloud library did not answer now (network, throttling after retries): worth trying again
    later, where a plain CloudError needs the user to fix something first."""


class AwsSession:
    """One profile and region; every client of the cloud library is made here (``client``)."""

    def __init__(self, profile: str | None = None, region: str | None = None) -> None:
        self.profile = profile or None
        self.region = region or None
        self._session: boto3.Session | None = None
        self._clients: dict[str, Any] = {}

    @classmethod
    def of(cls, settings: Settings) -> AwsSession:
        """The session of the settings' profile and region (what every desktop caller uses)."""
        return cls(settings.aws_profile, settings.aws_region)

    def close(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            client.close()

    def who(self) -> str:
        return credentials_owner(self.profile)

    def login_hint(self) -> str:
        return login_hint(self.profile)

    def client(self, service: str) -> Any:
        """The boto3 client for ``service`` (one per service and session)."""
        if service not in self._clients:
            with self.errors():
                if self._session is None:
                    self._session = boto3.Session(profile_name=self.profile, region_name=self.region)
                    if self._session.region_name is None:
                        raise CloudError(_NO_REGION)
                self._clients[service] = self._session.client(service, config=_CONFIG)
        return self._clients[service]

    def use(self, service: str, client: Any) -> None:
        """Puts a ready client in place (botocore Stubber tests)."""
        self._clients[service] = client

    @property
    def region_name(self) -> str:
        return str(self.client("cloudformation").meta.region_name)

    def check_rekognition_region(self) -> None:
        """CloudError unless Rekognition exists in this session's region: the stack would be useless."""
        region = self.region_name
        if region not in known_regions():
            raise CloudError(
                f"Amazon Rekognition is not available in region '{region}', so the cloud library cannot "
                f"work there: choose one of {', '.join(sorted(known_regions()))} (--region or Settings)"
            )

    @contextlib.contextmanager
    def errors(self, doing: str = "") -> Iterator[None]:
        """Turns credential, permission, region and network failures into one CloudError each."""
        try:
            yield
        except bce.ClientError as error:
            raise self.client_error(error, doing) from None
        except bce.BotoCoreError as error:
            raise self.botocore_error(error, doing) from None

    def client_error(self, error: bce.ClientError, doing: str = "") -> CloudError:
        details = error.response.get("Error", {})
        code = str(details.get("Code", "Unknown"))
        message = str(details.get("Message", "") or error)
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in CREDENTIALS_REJECTED:
            return CloudError(
                f"AWS rejected the credentials of {self.who()} ({code}): check the access key and this "
                f"computer's clock, or {self.login_hint()}"
            )
        if code in CREDENTIALS_EXPIRED:
            return CloudError(f"the AWS credentials of {self.who()} have expired: {self.login_hint()}")
        if code in _DENIED:
            what = f" to {doing}" if doing else ""
            return CloudError(
                f"AWS denied {self.who()} the permission{what} ({code}: {message}); docs/cloud.md lists "
                "the permissions deploying needs"
            )
        if code in _GONE:
            where = f" (while trying to {doing})" if doing else ""
            return CloudError(
                f"the cloud library's storage is gone ({code}{where}): run `photosorter cloud destroy`, "
                "then `photosorter cloud deploy`"
            )
        what = f"could not {doing}" if doing else "the request failed"
        if code in TRANSIENT_CODES or status >= 500 or "Throttl" in code:
            return CloudUnavailable(f"{what}: AWS is busy or failing ({code}); try again later")
        return CloudError(f"{what}: {code}: {message}")

    def botocore_error(self, error: bce.BotoCoreError, doing: str = "") -> CloudError:
        if isinstance(error, NO_CREDENTIALS):
            return CloudError(f"no usable AWS credentials for {self.who()}: {self.login_hint()}")
        if isinstance(error, SSO_EXPIRED):
            return CloudError(
                f"the AWS SSO session of {self.who()} is missing or expired: {self.login_hint()}"
            )
        if isinstance(error, bce.ProfileNotFound):
            return CloudError(
                f"the AWS profile '{self.profile or os.environ.get('AWS_PROFILE')}' does not exist: choose "
                "an existing one (--profile or Settings) or create it with `aws configure --profile NAME`"
            )
        if isinstance(error, bce.NoRegionError):
            return CloudError(
                "no AWS region is set: pass --region (e.g. us-east-1) or choose one in Settings"
            )
        if isinstance(error, bce.EndpointConnectionError | bce.ConnectTimeoutError | bce.ReadTimeoutError):
            return CloudUnavailable(
                f"could not reach AWS ({error}): check the network connection and the region"
            )
        what = f"could not {doing}" if doing else "AWS failed"
        return CloudError(f"{what}: {type(error).__name__}: {error}")


__all__ = ["AwsSession", "CloudError", "CloudUnavailable", "error_code"]
