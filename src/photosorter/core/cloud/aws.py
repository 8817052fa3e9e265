"""AWS clients for the cloud library, its stack's outputs, and one message for each way AWS says no.

Credentials come from boto3's standard chain (profile, environment, SSO); nothing is stored or
printed. No ``endpoint_url`` is passed, so boto3's own ``AWS_ENDPOINT_URL`` and
``AWS_ENDPOINT_URL_<SERVICE>`` settings keep working (the tests point them at a local moto server).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions as bce
from botocore.config import Config

from photosorter.core.errors import PhotosorterError
from photosorter.core.settings import Settings

DEPLOY_FIRST = "deploy the cloud library first: photosorter cloud deploy"

_REJECTED = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "MissingAuthenticationToken",
    }
)
_EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "AuthorizationError", "NotAuthorized"})
_GONE = frozenset({"NoSuchBucket", "ResourceNotFoundException"})


class CloudError(PhotosorterError):
    """The cloud library cannot be used until the user fixes something (credentials, the stack)."""


class CloudUnavailable(PhotosorterError):
    """The cloud library did not answer now (network, throttling after retries): try again later."""


@dataclass(frozen=True, slots=True)
class StackOutputs:
    """The names the cloud library's stack exports, which every device reads."""

    bucket: str
    table: str
    collection_id: str


ClientFactory = Callable[[str], Any]


def client_factory(settings: Settings) -> ClientFactory:
    """Makes boto3 clients from the settings' profile and region (one session, shared)."""
    config = Config(
        retries={"mode": "standard", "total_max_attempts": 6},
        connect_timeout=5,
        read_timeout=30,
        user_agent_extra="photosorter",
    )
    session: list[boto3.Session] = []

    def make(service: str) -> Any:
        try:
            if not session:
                session.append(
                    boto3.Session(profile_name=settings.aws_profile, region_name=settings.aws_region)
                )
            return session[0].client(service, config=config)
        except bce.ProfileNotFound:
            raise CloudError(
                f"the AWS profile '{settings.aws_profile or os.environ.get('AWS_PROFILE')}' does not exist:"
                " choose an existing profile in Settings or create it with `aws configure --profile NAME`"
            ) from None
        except bce.NoRegionError:
            raise CloudError("no AWS region is set: choose the cloud library's region in Settings") from None

    return make


def who(settings: Settings) -> str:
    profile = settings.aws_profile or os.environ.get("AWS_PROFILE")
    return f"profile '{profile}'" if profile else "the default AWS credentials"


def aws_error(error: Exception, doing: str, settings: Settings) -> PhotosorterError:
    """What a failed call means for the user: CloudError (fix something) or CloudUnavailable (later)."""
    if isinstance(error, bce.ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code", "Unknown"))
        message = str(details.get("Message", "") or error)
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in _REJECTED:
            return CloudError(f"AWS rejected the credentials of {who(settings)} ({code}) while {doing}")
        if code in _EXPIRED:
            return CloudError(
                f"the AWS credentials of {who(settings)} have expired ({code}): run `aws sso login` or"
                " renew them"
            )
        if code in _DENIED:
            return CloudError(f"AWS denied {who(settings)} access while {doing} ({code}: {message})")
        if code in _GONE:
            return CloudError(
                f"the cloud library's storage is gone ({code} while {doing}): redeploy it with"
                " `photosorter cloud deploy`"
            )
        if status >= 500 or "Throttl" in code or code in ("ProvisionedThroughputExceededException",):
            return CloudUnavailable(f"AWS is busy or failing ({code}) while {doing}; try again later")
        return CloudError(f"AWS refused a request while {doing} ({code}: {message})")
    if isinstance(
        error,
        bce.NoCredentialsError | bce.PartialCredentialsError | bce.CredentialRetrievalError,
    ):
        return CloudError(
            f"no usable AWS credentials for {who(settings)}: run `aws configure` or `aws sso login`"
        )
    if isinstance(error, bce.TokenRetrievalError | bce.SSOError):
        return CloudError(
            f"the AWS SSO session of {who(settings)} is missing or expired: run `aws sso login`"
        )
    if isinstance(error, bce.NoRegionError):
        return CloudError("no AWS region is set: choose the cloud library's region in Settings")
    return CloudUnavailable(f"could not reach AWS while {doing} ({type(error).__name__}: {error})")


def stack_outputs(cloudformation: Any, stack: str, settings: Settings) -> StackOutputs:
    """The outputs of the cloud library's stack; CloudError naming what to do when it is not deployed."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except bce.ClientError as error:
        if "does not exist" in str(error.response.get("Error", {}).get("Message", "")):
            raise CloudError(DEPLOY_FIRST) from None
        raise aws_error(error, "reading the cloud library's stack", settings) from error
    except bce.BotoCoreError as error:
        raise aws_error(error, "reading the cloud library's stack", settings) from error
    if not stacks:
        raise CloudError(DEPLOY_FIRST)
    found = stacks[0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", ())}
    if not all(key in outputs for key in ("BucketName", "TableName", "CollectionId")):
        status = found.get("StackStatus", "unknown")
        raise CloudError(
            f"the cloud library's stack '{stack}' is {status} and not usable: see `photosorter cloud status`;"
            f" {DEPLOY_FIRST}"
        )
    return StackOutputs(outputs["BucketName"], outputs["TableName"], outputs["CollectionId"])
