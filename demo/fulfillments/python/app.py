"""A Lex V2 fulfillment in the style Lex Web UI users already run: it streams the model's text
as raw strings to the visitor's WebSocket and knows nothing of Lexstream's frames.

Lexstream's widget shows such raw-text chunks as they arrive, then the final Lex answer. This
file is the README's "bring your own fulfillment" example and the function the end-to-end test
runs under AWS's runtime client:

    lexstream-devstack --fulfillment-cmd "cd demo/fulfillments/python && python -m awslambdaric app.handler"

It reads, as such fulfillments do:
- the session attributes `streamingDynamoDbTable` and `streamingEndpoint` (the https URL of the
  WebSocket stage) that the widget sends;
- the visitor's connection id from that table, by `sessionId`, with boto3;
- the model through Bedrock `InvokeModelWithResponseStream` with the Anthropic text-completions
  body, posting each `completion` piece with `post_to_connection`.
"""

import json
import os

import boto3

MODEL_ID = os.environ.get("TEXT_MODEL_ID", "anthropic.claude-v2:1")

bedrock = boto3.client("bedrock-runtime")
dynamodb = boto3.resource("dynamodb")


def completion_body(question):
    return json.dumps(
        {
            "prompt": f"\n\nHuman: {question}\n\nAssistant:",
            "max_tokens_to_sample": 800,
            "temperature": 0.5,
        }
    )


def connection_of(table_name, session_id):
    item = dynamodb.Table(table_name).get_item(Key={"sessionId": session_id}).get("Item")
    return item.get("connectionId") if item else None


def streamed_answer(question, table_name, endpoint, session_id):
    """Streams the answer to the visitor's socket as raw text; returns the whole text."""
    connection_id = connection_of(table_name, session_id)
    sockets = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    response = bedrock.invoke_model_with_response_stream(modelId=MODEL_ID, body=completion_body(question))
    text = ""
    for event in response["body"]:
        piece = json.loads(event["chunk"]["bytes"]).get("completion", "")
        if not piece:
            continue
        text += piece
        if connection_id:
            try:
                sockets.post_to_connection(ConnectionId=connection_id, Data=piece.encode("utf-8"))
            except sockets.exceptions.GoneException:
                connection_id = None  # the visitor left; keep generating for the Lex answer
    return text


def whole_answer(question):
    response = bedrock.invoke_model(modelId=MODEL_ID, body=completion_body(question))
    return json.loads(response["body"].read())["completion"]


def handler(event, context):
    state = event["sessionState"]
    attributes = state.get("sessionAttributes") or {}
    question = event.get("inputTranscript", "")
    table_name = attributes.get("streamingDynamoDbTable")
    endpoint = attributes.get("streamingEndpoint")
    if table_name and endpoint:
        text = streamed_answer(question, table_name, endpoint, event["sessionId"])
    else:
        text = whole_answer(question)
    return {
        "sessionState": {
            "sessionAttributes": attributes,
            "dialogAction": {"type": "Close"},
            "intent": {"name": state["intent"]["name"], "state": "Fulfilled"},
        },
        "messages": [{"contentType": "CustomPayload", "content": text.strip()}],
    }
