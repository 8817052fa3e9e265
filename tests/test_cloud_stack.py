"""The cloud library's stack: the template lints, and deploy / status / destroy run against moto's server.

moto's CloudFormation makes the bucket (with its encryption), table, queue, topic, roles, functions and
log groups of the template, but skips what it does not implement (the bucket policy, the SNS
subscription, the functions' retry setting) and does not apply a bucket's public access block,
lifecycle or notification, nor a table's point-in-time recovery. Those are proved on the template
itself (and by cfn-lint against CloudFormation's own schema) instead. moto never produces a stack in
ROLLBACK_COMPLETE, so that state is answered through botocore's Stubber.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from photosorter.cloud_function import items
from photosorter.core.cloud import stack as cloud_stack
from photosorter.core.cloud.deploy import DeployResult, deploy
from photosorter.core.cloud.destroy import destroy
from photosorter.core.cloud.package import function_zip
from photosorter.core.cloud.session import AwsSession, CloudError, CloudUnavailable
from photosorter.core.cloud.stack import StackEvent, Step
from photosorter.core.cloud.status import NOT_DEPLOYED, status, status_lines

# moto says what of the template it skips; the module docstring says what is proved instead
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS:UserWarning")
TEMPLATE = Path(cloud_stack.__file__).with_name("template.yaml")
HASHES = [f"{i:02x}" * 32 for i in range(1, 9)]


def deployed(name: str = "Photos-Test", **options) -> tuple[DeployResult, list]:
    seen: list[Step | StackEvent] = []
    return deploy(name, region="us-east-1", progress=seen.append, poll_seconds=0, **options), seen


def template() -> dict:
    from cfnlint.decode.decode import decode_str

    decoded, errors = decode_str(TEMPLATE.read_text())
    assert not errors
    return decoded


# -- the template --------------------------------------------------------------------------------------


def test_the_template_passes_cfn_lint_including_its_informational_checks() -> None:
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(TEMPLATE, ManualArgs(include_checks=["I"], regions=["us-east-1", "eu-west-1"]))
    assert [str(m) for m in matches] == []


def test_the_template_keeps_the_bucket_private_encrypted_tls_only_and_expiring() -> None:
    resources = template()["Resources"]
    bucket = resources["Bucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    rules = {r.get("Prefix"): r for r in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["analysis/"]["ExpirationInDays"] == {"Ref": "ExpireDays"}
    assert rules["video/"]["ExpirationInDays"] == {"Ref": "ExpireDays"}
    assert template()["Parameters"]["ExpireDays"]["Default"] == 7
    statement = resources["BucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    notified = bucket["NotificationConfiguration"]["Fn::If"][1]["LambdaConfigurations"]
    prefixes = {c["Filter"]["S3Key"]["Rules"][0]["Value"] for c in notified}
    assert prefixes == {items.ANALYSIS_PREFIX, items.VIDEO_PREFIX}
    assert resources["Table"]["Properties"]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True
    }


def test_the_functions_role_reaches_only_the_uploads_the_table_and_the_collection() -> None:
    resources = template()["Resources"]
    (inline,) = resources["FunctionRole"]["Properties"]["Policies"]
    separate = resources["FunctionPolicy"]["Properties"]["PolicyDocument"]
    statements = {s["Sid"]: s for s in inline["PolicyDocument"]["Statement"] + separate["Statement"]}
    # Lambda refuses to create a function whose role cannot yet send to its dead-letter queue
    assert "DeadLetters" in {s["Sid"] for s in inline["PolicyDocument"]["Statement"]}
    assert statements["ReadUploads"]["Action"] == "s3:GetObject"
    assert all("/analysis/*" in str(r) or "/video/*" in str(r) for r in statements["ReadUploads"]["Resource"])
    assert "/results/*" in str(statements["KeepBigResults"]["Resource"])  # items.RESULTS_PREFIX
    assert items.RESULTS_PREFIX == "results/"
    assert "collection/${AWS::StackName}-faces" in str(statements["FacesInTheLibraryCollection"]["Resource"])
    assert statements["DeadLetters"]["Action"] == "sqs:SendMessage"
    assert not any(str(a).endswith("*") for s in statements.values() for a in _list(s["Action"]))


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_the_function_zip_is_deterministic_and_holds_only_the_function_package() -> None:
    first, second = function_zip(), function_zip()
    assert first.data == second.data and first.key == f"code/{first.sha256}.zip"
    names = zipfile.ZipFile(io.BytesIO(first.data)).namelist()
    assert names[0] == "photosorter/__init__.py"
    assert "photosorter/cloud_function/items.py" in names
    assert all(n.startswith("photosorter/cloud_function/") for n in names[1:])


# -- deploy ----------------------------------------------------------------------------------------------


def test_deploy_creates_the_stack_in_two_passes_and_streams_its_events(aws) -> None:
    result, seen = deployed()

    assert result.status == "UPDATE_COMPLETE" and result.changed
    outputs = result.outputs
    events = [e for e in seen if isinstance(e, StackEvent)]
    assert {e.status for e in events} >= {"CREATE_IN_PROGRESS", "CREATE_COMPLETE", "UPDATE_COMPLETE"}
    assert any("Uploading the function" in s.message for s in seen if isinstance(s, Step))
    s3 = boto3.client("s3")
    encryption = s3.get_bucket_encryption(Bucket=outputs.bucket)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    code = s3.list_objects_v2(Bucket=outputs.bucket, Prefix="code/")["Contents"]
    assert [c["Key"] for c in code] == [function_zip().key]
    table = boto3.client("dynamodb").describe_table(TableName=outputs.table)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == items.FEED_INDEX
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["feed", "seq"]
    queue = boto3.client("sqs").get_queue_attributes(
        QueueUrl=outputs.dead_letter_queue_url, AttributeNames=["All"]
    )
    assert queue["Attributes"]["MessageRetentionPeriod"] == "1209600"
    assert boto3.client("sns").get_topic_attributes(TopicArn=outputs.video_topic_arn)["Attributes"]
    roles = {r["Arn"] for r in boto3.client("iam").list_roles()["Roles"]}
    assert outputs.video_role_arn in roles and len(roles) == 2
    functions = {f["Handler"]: f for f in boto3.client("lambda").list_functions()["Functions"]}
    assert set(functions) == {
        "photosorter.cloud_function.handler.handle",
        "photosorter.cloud_function.handler.handle_video_done",
    }
    environment = functions["photosorter.cloud_function.handler.handle"]["Environment"]["Variables"]
    assert environment == {
        "TABLE_NAME": outputs.table,
        "BUCKET_NAME": outputs.bucket,
        "COLLECTION_ID": "Photos-Test-faces",
        "VIDEO_TOPIC_ARN": outputs.video_topic_arn,
        "VIDEO_ROLE_ARN": outputs.video_role_arn,
    }
    assert functions["photosorter.cloud_function.handler.handle"]["Runtime"] == "python3.12"
    assert set(aws.collections) == {"Photos-Test-faces"}


def test_deploying_again_is_no_change_and_a_new_setting_is_an_update(aws) -> None:
    first, _ = deployed()
    again, seen = deployed()
    assert not again.changed and again.outputs == first.outputs
    assert Step("The stack is up to date") in seen

    longer, _ = deployed(expire_days=30)
    assert longer.changed
    kept = ("bucket", "table", "function", "dead_letter_queue_url", "collection_id")
    assert all(getattr(longer.outputs, name) == getattr(first.outputs, name) for name in kept)
    stack = boto3.client("cloudformation").describe_stacks(StackName="Photos-Test")["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters["ExpireDays"] == "30" and parameters["CodeKey"] == function_zip().key


# -- status ----------------------------------------------------------------------------------------------


def _result(content_hash: str, state: str, seq: int, error: str = "") -> items.ResultItem:
    return items.ResultItem(content_hash, state, ("labels",), {}, {}, seq, error=error)


def test_status_counts_results_uploads_failures_dead_letters_and_cost(aws) -> None:
    outputs = deployed()[0].outputs
    dynamodb = boto3.client("dynamodb")
    seeded = [
        _result(HASHES[0], "done", 1),
        _result(HASHES[1], "done", 2),
        _result(HASHES[2], "done", 3),
        _result(HASHES[3], "analyzing", 4),
        _result(HASHES[4], "failed", 5, "Rekognition cannot read the image"),
        _result(HASHES[5], "failed", 6, "Rekognition cannot read the image"),
    ]
    for item in seeded:
        dynamodb.put_item(TableName=outputs.table, Item=items.encode_result(item))
    dynamodb.put_item(TableName=outputs.table, Item=items.encode_person(items.PersonItem("u1", "Ann", (), 7)))
    s3 = boto3.client("s3")
    for content_hash in (HASHES[0], HASHES[6], HASHES[7]):  # one analyzed, two not yet claimed
        s3.put_object(Bucket=outputs.bucket, Key=items.analysis_key(content_hash), Body=b"jpeg")
    boto3.client("sqs").send_message(QueueUrl=outputs.dead_letter_queue_url, MessageBody="{}")
    for calls in ({"DetectLabels": 3, "IndexFaces": 2}, {"DetectLabels": 1}):
        dynamodb.update_item(TableName=outputs.table, **items.usage_update(calls))
    video = items.usage_update({"StartLabelDetection": 1}, video_seconds=90.0)  # 1.5 minutes, $0.15
    dynamodb.update_item(TableName=outputs.table, **video)

    result = status("Photos-Test", region="us-east-1")

    assert (result.state, result.advice, result.problems) == ("UPDATE_COMPLETE", "", ())
    assert (result.analyzed, result.analyzing, result.waiting, result.pending) == (3, 1, 2, 3)
    assert result.failed == 2
    assert [(f.reason, f.photos) for f in result.failures] == [("Rekognition cannot read the image", 2)]
    assert result.dead_letters == 1
    assert {u.operation: u.calls for u in result.usage} == {
        "DetectLabels": 4,
        "IndexFaces": 2,
        "StartLabelDetection": 1,
    }
    assert result.calls == 7 and result.video_minutes == pytest.approx(1.5)
    assert result.cost_usd == pytest.approx(0.006 + 0.15)
    assert "7 calls and 1.5 minutes of video, about $0.156 at list prices" in "\n".join(status_lines(result))


def test_status_says_when_nothing_is_deployed_or_no_usage_was_recorded(aws) -> None:
    assert status("Photos-Test", region="us-east-1").state == NOT_DEPLOYED
    deployed()
    result = status("Photos-Test", region="us-east-1")
    assert result.usage is None and result.cost_usd is None and result.analyzed == 0


def test_a_deleted_bucket_is_reported_and_deploy_says_how_to_recover(aws) -> None:
    outputs = deployed()[0].outputs
    s3 = boto3.client("s3")
    for entry in s3.list_objects_v2(Bucket=outputs.bucket)["Contents"]:
        s3.delete_object(Bucket=outputs.bucket, Key=entry["Key"])
    s3.delete_bucket(Bucket=outputs.bucket)

    (problem,) = status("Photos-Test", region="us-east-1").problems
    assert "deleted outside photosorter" in problem and "destroy" in problem
    with pytest.raises(CloudError, match=r"was deleted outside photosorter.*cloud destroy"):
        deployed()


def _stubbed(stack_status: str) -> tuple[AwsSession, Stubber]:
    session = AwsSession(region="us-east-1")
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    stubber = Stubber(cloudformation)
    stubber.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "Photos-Test",
                    "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/Photos-Test/1",
                    "CreationTime": "2026-01-01T00:00:00Z",
                    "StackStatus": stack_status,
                }
            ]
        },
        {"StackName": "Photos-Test"},
    )
    session.use("cloudformation", cloudformation)
    return session, stubber


def test_a_stack_in_rollback_complete_is_explained_with_its_fix(aws_env) -> None:
    session, stubber = _stubbed("ROLLBACK_COMPLETE")
    with stubber:
        result = status("Photos-Test", session=session)
    assert result.state == "ROLLBACK_COMPLETE" and result.analyzed is None
    assert "can only be deleted" in result.advice
    assert "photosorter cloud destroy`, then `photosorter cloud deploy" in result.advice

    session, stubber = _stubbed("ROLLBACK_COMPLETE")
    with stubber, pytest.raises(CloudError, match=r"cannot be deployed now.*cloud destroy"):
        deploy("Photos-Test", session=session)


# -- faults ----------------------------------------------------------------------------------------------


def test_missing_credentials_give_one_clear_message(monkeypatch: pytest.MonkeyPatch, cli) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(CloudError, match=r"^no usable AWS credentials for the default AWS profile: run"):
        status("Photos-Test")

    result = cli("cloud", "status")
    assert result.code == 1 and result.out == ""
    assert result.err.count("\n") == 1 and "aws sso login" in result.err


def test_a_region_without_rekognition_is_refused_before_anything_is_made(aws) -> None:
    from photosorter.core.analysis.rekognition.client import known_regions

    elsewhere = sorted(set(boto3.Session().get_available_regions("s3")) - known_regions())[0]
    with pytest.raises(CloudError, match=f"Rekognition is not available in region '{elsewhere}'"):
        deploy("Photos-Test", region=elsewhere)
    assert boto3.client("cloudformation").list_stacks()["StackSummaries"] == []


# -- destroy ---------------------------------------------------------------------------------------------


def test_destroy_empties_the_bucket_deletes_the_stack_and_the_collection(aws) -> None:
    outputs = deployed()[0].outputs
    s3 = boto3.client("s3")
    for content_hash in HASHES[:3]:
        s3.put_object(Bucket=outputs.bucket, Key=items.analysis_key(content_hash), Body=b"jpeg")

    assert destroy("Photos-Test", region="us-east-1", confirm=lambda _: False, poll_seconds=0) is None
    assert s3.head_bucket(Bucket=outputs.bucket)
    assert set(aws.collections) == {"Photos-Test-faces"}

    shown: list[str] = []
    seen: list[Step | StackEvent] = []
    result = destroy(
        "Photos-Test",
        region="us-east-1",
        progress=seen.append,
        confirm=lambda summary: shown.append(summary) or True,
        poll_seconds=0,
    )

    assert result is not None and result.objects_deleted == 4  # three images and the function's zip
    assert result.collection_deleted and not result.bucket_missing
    assert outputs.bucket in shown[0] and "Photos-Test-faces" in shown[0]
    assert outputs.bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert aws.collections == {} and aws.calls["DeleteCollection"] == 1
    assert any(isinstance(e, StackEvent) and e.status == "DELETE_COMPLETE" for e in seen)
    assert status("Photos-Test", region="us-east-1").state == NOT_DEPLOYED
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []
    assert boto3.client("lambda").list_functions()["Functions"] == []


def test_destroy_of_a_missing_stack_says_so(aws) -> None:
    with pytest.raises(CloudError, match="there is no cloud library 'Photos-Test' in us-east-1"):
        destroy("Photos-Test", region="us-east-1", confirm=lambda _: True)


# -- the command line ------------------------------------------------------------------------------------


def test_the_cloud_commands_deploy_report_and_destroy(aws, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    deployed_ = cli("cloud", "deploy", "--name", "Photos-Test", "--region", "us-east-1", "--days", "3")
    assert deployed_.code == 0, deployed_.err
    assert "Photos-Test-faces" in deployed_.out and "UPDATE_COMPLETE" in deployed_.out

    shown = cli("cloud", "status", "--name", "Photos-Test", "--region", "us-east-1")
    assert shown.code == 0 and "Calls and cost: not recorded" in shown.out
    data = cli("cloud", "status", "--name", "Photos-Test", "--region", "us-east-1", "--json").json()
    assert data["state"] == "UPDATE_COMPLETE" and data["analyzed"] == 0 and data["cost_usd"] is None

    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    kept = cli("cloud", "destroy", "--name", "Photos-Test", "--region", "us-east-1")
    assert kept.code == 1 and "nothing was deleted" in kept.err
    gone = cli("cloud", "destroy", "--name", "Photos-Test", "--region", "us-east-1", "--yes")
    assert gone.code == 0, gone.err
    assert "Deleted the cloud library 'Photos-Test'" in gone.out


def test_aws_failures_are_one_family_told_apart_by_what_the_user_can_do(aws_env) -> None:
    """Busy or unreachable AWS is CloudUnavailable (try later; the desktop's analysis keeps the photo
    pending); refused credentials or a deleted table is a CloudError saying what to fix."""
    session = AwsSession(region="us-east-1")
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    session.use("dynamodb", dynamodb)

    def failure(code: str, status: int) -> CloudError:
        with Stubber(dynamodb) as stub, pytest.raises(CloudError) as raised:
            stub.add_client_error("get_item", code, "no", http_status_code=status)
            with session.errors("look up a photo"):
                dynamodb.get_item(TableName="t", Key={"pk": {"S": "x"}})
        return raised.value

    assert isinstance(failure("ThrottlingException", 400), CloudUnavailable)
    assert isinstance(failure("InternalServerError", 500), CloudUnavailable)
    rejected = failure("UnrecognizedClientException", 400)
    assert not isinstance(rejected, CloudUnavailable) and "rejected the credentials" in str(rejected)
    gone = failure("ResourceNotFoundException", 400)
    assert not isinstance(gone, CloudUnavailable) and "photosorter cloud deploy" in str(gone)
