"""boto3, a third-party Lambda client, against the devstack's Lambda Invoke API.

Usage: devstack_lambda_invoke.py ENDPOINT

Invokes the devstack's answer worker the three ways Lambda allows (DryRun, Event,
RequestResponse with a payload that is not an answer job), names a function that does not
exist, and signs with a key the devstack does not know. Prints one JSON object with what it saw;
``devstack_lambda_invoke.rs`` checks it.
"""

import json
import sys

import boto3
from botocore.exceptions import ClientError


def client(key_id, secret, endpoint):
    return boto3.session.Session(
        region_name="us-east-1", aws_access_key_id=key_id, aws_secret_access_key=secret
    ).client("lambda", endpoint_url=endpoint)


def error_code(call):
    try:
        call()
        return "no error"
    except ClientError as error:
        return error.response["Error"]["Code"]


def main():
    endpoint = sys.argv[1]
    lam = client("lexstream-local", "lexstream-local-secret", endpoint)
    seen = {}
    seen["dryRun"] = lam.invoke(FunctionName="lexstream-answer-worker", InvocationType="DryRun")["StatusCode"]
    seen["event"] = lam.invoke(
        FunctionName="arn:aws:lambda:us-east-1:000000000000:function:lexstream-answer-worker",
        InvocationType="Event",
        Payload=b"{}",
    )["StatusCode"]
    sync = lam.invoke(FunctionName="lexstream-answer-worker", Payload=b'{"not":"a job"}')
    seen["sync"] = {
        "status": sync["StatusCode"],
        "functionError": sync.get("FunctionError"),
        "payload": json.loads(sync["Payload"].read()),
    }
    seen["unknownFunction"] = error_code(lambda: lam.invoke(FunctionName="nobody-here", Payload=b"{}"))
    stranger = client("AKIANOBODYKNOWS", "secret", endpoint)
    seen["unknownKey"] = error_code(lambda: stranger.invoke(FunctionName="lexstream-answer-worker", Payload=b"{}"))
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
