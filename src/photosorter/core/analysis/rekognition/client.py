"""The boto3 Rekognition client, paced, metered, with every failure mapped on purpose.

Credentials come from the standard AWS chain (environment, ``~/.aws`` profiles,
SSO, instance roles) through ``boto3.Session(profile_name=..., region_name=...)``;
the app never stores a secret. No ``endpoint_url`` is passed, so boto3's own
``AWS_ENDPOINT_URL_REKOGNITION`` keeps working (the tests use it).

How failures are mapped:

* throttling, timeouts, connection errors and 5xx are retried by botocore
  (retry mode "adaptive") behind our token bucket; if they persist ->
  TransientAnalysisError and the photo stays pending;
* a request concerning one image (format, size, parameters) ->
  RekognitionRequestError, an AnalysisError recorded against that photo;
* missing, rejected or expired credentials, access denied, an unknown region
  or profile -> FatalAnalysisError whose one message says what to fix.
"""

from __future__ import annotations

import copy
import os
import re
import threading
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.exceptions as bce
from botocore.config import Config

from photosorter.core.analysis.pricing import CostMeter, Operation
from photosorter.core.analysis.ratelimit import TokenBucket
from photosorter.core.analysis.types import AnalysisError, FatalAnalysisError, TransientAnalysisError

CREDENTIALS_REJECTED = frozenset(  # AWS error codes: the credentials are wrong (shared with core.cloud)
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "MissingAuthenticationTokenException",
    }
)
CREDENTIALS_EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
# botocore's own errors: no credentials could be found or loaded / the SSO login is missing or expired
NO_CREDENTIALS = (
    bce.NoCredentialsError,
    bce.PartialCredentialsError,
    bce.CredentialRetrievalError,
    bce.UnknownCredentialError,
)
SSO_EXPIRED = (bce.TokenRetrievalError, bce.SSOError, bce.NoAuthTokenError)
_DENIED = frozenset({"AccessDeniedException", "AccessDenied", "NotAuthorized", "OptInRequired"})
TRANSIENT_CODES = frozenset(  # worth another try later (shared with core.cloud)
    {
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
_IMAGE_REASONS = {
    "InvalidImageFormatException": "Rekognition cannot read the image (unsupported or corrupt format)",
    "ImageTooLargeException": "the image is too large for Rekognition",
    "InvalidParameterException": "Rekognition refused the request as invalid",
}
_AWS_HOST = re.compile(r"\.amazonaws\.com(\.cn)?$|\.api\.aws$")


def credentials_owner(profile: str | None) -> str:
    """Whose credentials boto3 uses, for messages: ``profile 'x'`` or the default ones."""
    profile = profile or os.environ.get("AWS_PROFILE")
    return f"profile '{profile}'" if profile else "the default AWS profile"


def login_hint(profile: str | None) -> str:
    """What to run to get credentials for ``profile``."""
    profile = profile or os.environ.get("AWS_PROFILE")
    suffix = f" --profile {profile}" if profile else ""
    return f"run `aws configure{suffix}` (access keys) or `aws sso login{suffix}` (SSO)"


class RekognitionRequestError(AnalysisError):
    """Rekognition refused one request for a reason that concerns only that request.

    ``code`` is the AWS error code (e.g. ``ResourceNotFoundException``) so that
    callers such as the face collection can react to it.
    """

    def __init__(self, message: str, *, code: str, operation: str) -> None:
        super().__init__(message)
        self.code = code
        self.operation = operation


@cache
def known_regions() -> frozenset[str]:
    """Regions where this botocore knows a Rekognition endpoint, in every partition."""
    session = boto3.Session()
    regions: set[str] = set()
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions("rekognition", partition_name=partition))
    return frozenset(regions)


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


class RekognitionClient:
    """One boto3 client shared by every worker thread, behind one token bucket and one meter.

    ``client`` injects a ready boto3 client (botocore Stubber tests); otherwise
    one is made on first use from ``profile`` and ``region``.
    """

    def __init__(
        self,
        profile: str | None = None,
        region: str | None = None,
        *,
        rate_limit: float = 5.0,
        meter: CostMeter | None = None,
        client: Any | None = None,
        max_attempts: int = 6,
        retry_mode: str = "adaptive",
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_pool_connections: int = 32,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.profile = profile or None
        self.region = region or None
        self.meter = meter if meter is not None else CostMeter()
        self.bucket = TokenBucket(rate_limit)
        self._config = Config(
            retries={"mode": retry_mode, "total_max_attempts": max_attempts},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=max_pool_connections,
            user_agent_extra="photosorter",
        )
        self._client = client
        self._lock = threading.Lock()
        self._budgeted = True  # False: a view whose calls are counted but never refused by the budget
        self._parent: RekognitionClient | None = None

    # -- messages --

    def who(self) -> str:
        return credentials_owner(self.profile)

    def _login_hint(self) -> str:
        return login_hint(self.profile)

    # -- the client --

    def outside_budget(self) -> RekognitionClient:
        """This client (same connection, rate limit and meter) for calls the budget must not refuse:
        grouping the faces a run already paid for. Its calls are still counted and costed."""
        view = copy.copy(self)
        view._budgeted = False
        view._parent = self._parent or self
        return view

    @property
    def client(self) -> Any:
        """The boto3 client, made on first use; FatalAnalysisError if it cannot be."""
        if self._parent is not None:
            return self._parent.client
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._make_client()
        return self._client

    @property
    def region_name(self) -> str:
        return str(self.client.meta.region_name)

    @property
    def endpoint_url(self) -> str:
        return str(self.client.meta.endpoint_url)

    def _make_client(self) -> Any:
        try:
            session = boto3.Session(profile_name=self.profile, region_name=self.region)
            client = session.client("rekognition", config=self._config)
        except bce.ProfileNotFound:
            raise FatalAnalysisError(
                f"the AWS profile '{self.profile or os.environ.get('AWS_PROFILE')}' does not exist: "
                "choose an existing profile in Settings or create it with `aws configure --profile NAME`"
            ) from None
        except bce.NoRegionError:
            raise FatalAnalysisError(
                "no AWS region is set for Rekognition: choose a region in Settings (e.g. us-east-1)"
            ) from None
        except (bce.InvalidRegionError, bce.UnknownEndpointError, bce.EndpointProviderError) as error:
            raise FatalAnalysisError(
                f"the AWS region {self.region!r} is not valid ({error}): choose another region in Settings"
            ) from None
        except (bce.ConfigParseError, bce.InvalidConfigError) as error:
            raise FatalAnalysisError(
                f"the AWS configuration cannot be read ({error}): fix ~/.aws/config"
            ) from None
        if self._unknown_region(client):
            client.close()
            raise FatalAnalysisError(self._region_message(client.meta.region_name))
        return client

    @staticmethod
    def _unknown_region(client: Any) -> bool:
        host = urlsplit(client.meta.endpoint_url).hostname or ""
        return bool(_AWS_HOST.search(host)) and client.meta.region_name not in known_regions()

    @staticmethod
    def _region_message(region: str) -> str:
        return (
            f"Amazon Rekognition is not available in region '{region}': choose one of "
            f"{', '.join(sorted(known_regions()))} in Settings"
        )

    def close(self) -> None:
        if self._parent is not None:
            return  # the parent owns the connection
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- calling --

    def call(self, operation: Operation, *, reserved: bool = False, **params: Any) -> dict[str, Any]:
        """One API call: paced, metered (``reserved``: its cost was reserved by the caller), mapped.

        Returns the response without ``ResponseMetadata``.
        """
        method: Callable[..., dict[str, Any]] = getattr(self.client, _snake(operation))
        reserving = not reserved and self._budgeted
        own_reservation = self.meter.reserve([operation]) if reserving else 0.0
        ok = False
        try:
            self.bucket.acquire()
            response = method(**params)
            ok = True
        except bce.ClientError as error:
            raise self.map_client_error(operation, error) from error
        except bce.BotoCoreError as error:
            raise self.map_botocore_error(operation, error) from error
        finally:
            if ok:
                # Recording spends what we or the caller reserved (nothing, outside the budget).
                self.meter.record(operation, reserved=reserved or reserving)
            else:
                self.meter.release(own_reservation)
        response = dict(response)
        response.pop("ResponseMetadata", None)
        return response

    def map_client_error(self, operation: str, error: bce.ClientError) -> Exception:
        """The service said no: which of our errors that is, with what to do about it."""
        details = error.response.get("Error", {})
        code = str(details.get("Code", "Unknown"))
        message = str(details.get("Message", "") or error)
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in CREDENTIALS_REJECTED:
            clock = " and that this computer's clock is right" if "Signature" in code else ""
            return FatalAnalysisError(
                f"AWS credentials were rejected ({code}): check the access key of {self.who()}{clock} "
                f"or {self._login_hint()}"
            )
        if code in CREDENTIALS_EXPIRED:
            return FatalAnalysisError(
                f"the AWS credentials of {self.who()} have expired ({code}): {self._login_hint()}"
            )
        if code in _DENIED:
            action = f"rekognition:{operation}"
            return FatalAnalysisError(
                f"AWS denied {self.who()} access to {action} ({code}): allow {action} for that IAM user "
                "or role (e.g. the AmazonRekognitionFullAccess policy) or choose another profile"
            )
        if code in TRANSIENT_CODES or status >= 500:
            return TransientAnalysisError(
                f"Rekognition {operation} still failed after retries ({code}: {message}); "
                "the photo stays pending"
            )
        reason = _IMAGE_REASONS.get(code, f"Rekognition {operation} refused the request")
        return RekognitionRequestError(f"{reason} ({code}: {message})", code=code, operation=operation)

    def map_botocore_error(self, operation: str, error: bce.BotoCoreError) -> Exception:
        """No answer from the service: credentials, configuration or network."""
        if isinstance(error, NO_CREDENTIALS):
            return FatalAnalysisError(
                f"no usable AWS credentials for {self.who()} ({error}): {self._login_hint()}"
            )
        if isinstance(error, SSO_EXPIRED):
            return FatalAnalysisError(
                f"the AWS SSO session of {self.who()} is missing or expired ({error}): {self._login_hint()}"
            )
        if isinstance(error, bce.ProfileNotFound):
            return FatalAnalysisError(f"the AWS profile of {self.who()} does not exist ({error})")
        if isinstance(error, bce.NoRegionError | bce.UnknownEndpointError | bce.EndpointProviderError):
            return FatalAnalysisError(
                f"cannot find the Rekognition endpoint for region {self.region!r} ({error}): "
                "choose another region in Settings"
            )
        if isinstance(error, bce.EndpointConnectionError) and self._unknown_region(self.client):
            return FatalAnalysisError(self._region_message(self.client.meta.region_name))
        if isinstance(error, bce.ConnectionError | bce.HTTPClientError):
            return TransientAnalysisError(
                f"could not reach Rekognition for {operation} after retries ({error}); "
                "the photo stays pending"
            )
        return TransientAnalysisError(f"Rekognition {operation} failed ({type(error).__name__}: {error})")
