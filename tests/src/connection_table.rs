//! The connection table as the deployment template creates it — key `sessionId` (S), TTL on
//! `ttl` — on whichever DynamoDB a client talks to (moto, the devstack's endpoint): what the tests
//! of the Lambdas' DynamoDB adapter run against.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TimeToLiveSpecification,
};
use lexstream_lambda_core::aws::DynamoDbClient;
use lexstream_lambda_core::aws::dynamodb::{KEY, TTL};

/// Creates `table` with the template's key and TTL through `client`.
pub async fn create_connection_table(client: &DynamoDbClient, table: &str) -> anyhow::Result<()> {
    client
        .create_table()
        .table_name(table)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(KEY)
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .key_schema(KeySchemaElement::builder().attribute_name(KEY).key_type(KeyType::Hash).build()?)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder().attribute_name(TTL).enabled(true).build()?,
        )
        .send()
        .await?;
    Ok(())
}
