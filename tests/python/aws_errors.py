"""What the test scripts read of an AWS error, as boto3 reports it."""

from botocore.exceptions import ClientError


def error_code(call):
    """The AWS error code `call` fails with (boto3's reading of it), or "no error"."""
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"]
    return "no error"
