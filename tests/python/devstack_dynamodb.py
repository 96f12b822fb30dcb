"""boto3, a third-party DynamoDB client, against the devstack's DynamoDB endpoint.

Usage: devstack_dynamodb.py ENDPOINT TABLE SESSION_ID

Reads the connection row the devstack's ws-connect wrote for SESSION_ID the way a bot
developer's Python fulfillment does (``Table.get_item``), tries a conditional write that must
fail, counts with the low-level client's ``update_item``, and calls with a key the devstack does
not know. Prints one JSON object with what it saw; ``devstack_dynamodb_api.rs`` checks it.
"""

import json
import sys

import boto3

from aws_errors import error_code

# The devstack's service credentials (lexstream_lambda_core::aws::local_sdk_config).
SERVICE_KEY = ("lexstream-local", "lexstream-local-secret")


def session(key_id, secret):
    """A boto3 session signing with the given key, in the devstack's region."""
    return boto3.session.Session(
        region_name="us-east-1", aws_access_key_id=key_id, aws_secret_access_key=secret
    )


def main(endpoint, table_name, session_id):
    service = session(*SERVICE_KEY)
    table = service.resource("dynamodb", endpoint_url=endpoint).Table(table_name)
    row = table.get_item(Key={"sessionId": session_id}, ConsistentRead=True)["Item"]

    conditional_put = error_code(
        lambda: table.put_item(
            Item={"sessionId": session_id, "connectionId": "someone-else"},
            ConditionExpression="attribute_not_exists(sessionId)",
        )
    )
    after = table.get_item(Key={"sessionId": session_id})["Item"]["connectionId"]

    # The low-level client takes DynamoDB JSON (the resource's own client would re-encode it).
    client = service.client("dynamodb", endpoint_url=endpoint)
    counted = client.update_item(
        TableName=table_name,
        Key={"sessionId": {"S": "python-counter"}},
        UpdateExpression="SET visits = if_not_exists(visits, :zero) + :one",
        ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )["Attributes"]
    ttl = client.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]

    stranger = session("AKIAUNKNOWNKEY", "not-a-secret").resource("dynamodb", endpoint_url=endpoint)
    stranger = stranger.Table(table_name)
    unknown_key = error_code(lambda: stranger.get_item(Key={"sessionId": session_id}))

    print(
        json.dumps(
            {
                "connectionId": row["connectionId"],
                "ttl": int(row["ttl"]),
                "conditionalPut": conditional_put,
                "connectionIdAfter": after,
                "visits": counted["visits"]["N"],
                "unknownKey": unknown_key,
                "tableStatus": table.table_status,
                "ttlStatus": ttl["TimeToLiveStatus"],
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
