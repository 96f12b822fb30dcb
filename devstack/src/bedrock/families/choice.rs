//! Which family reads an InvokeModel body, decided as Bedrock decides: by the provider of the
//! model id (also behind a cross-region inference-profile prefix or inside an ARN) and the model.
//! Where one model takes two formats, the body's shape picks:
//! - Anthropic: a body with `messages` is a Messages request, for every Claude model (Claude 2.x
//!   and Instant 1.2 take the Messages API too); otherwise it is a text completion, which only
//!   `claude-instant-v1` and `claude-v2*` accept — newer models refuse a `prompt` body with
//!   Bedrock's "… is not supported on this API. Please use the Messages API instead.".
//! - Mistral: `messages` on Mistral Large is a chat completion; everything else a text completion.
//!
//! An id with no known provider gets Bedrock's "The provided model identifier is invalid."; a
//! Bedrock provider or model the devstack does not emulate (embeddings, images, Cohere, …) gets a
//! `ValidationException` that says so.

use serde_json::Value;

use super::Family;
use super::body_check::invalid;
use crate::aws_error::AwsError;
use crate::bedrock::model_id::ModelId;

/// Providers Bedrock serves whose InvokeModel formats the devstack does not emulate.
const OTHER_BEDROCK_PROVIDERS: [&str; 12] = [
    "ai21",
    "cohere",
    "deepseek",
    "luma",
    "moonshot",
    "openai",
    "qwen",
    "stability",
    "twelvelabs",
    "writer",
    "minimax",
    "lexstream",
];

/// The model id read, or Bedrock's refusal of an id it cannot route.
pub(super) fn model_of(model_id: &str) -> Result<ModelId<'_>, AwsError> {
    ModelId::parse(model_id).ok_or_else(invalid_identifier)
}

/// The family of a body sent to `model` (`model_id` as sent), or Bedrock's refusal of the id.
pub(super) fn family_of(model: ModelId<'_>, model_id: &str, body: &Value) -> Result<Family, AwsError> {
    let has = |key: &str| body.get(key).is_some();
    let family = match model.provider {
        "anthropic" if has("messages") => Family::AnthropicMessages,
        "anthropic" if takes_text_completions(model.name) => Family::AnthropicText,
        "anthropic" if has("prompt") => {
            return Err(invalid(format!(
                "\"{}\" is not supported on this API. Please use the Messages API instead.",
                model.base_name()
            )));
        }
        "anthropic" => Family::AnthropicMessages,
        "amazon" if model.name.starts_with("titan-text") || model.name.starts_with("titan-tg1") => {
            Family::TitanText
        }
        "amazon" if model.name.starts_with("nova-") && !is_nova_media(model.name) => Family::Nova,
        "meta" if model.name.starts_with("llama") => Family::Llama,
        "mistral" if has("messages") && model.name.contains("large") => Family::MistralChat,
        "mistral" => Family::MistralText,
        "amazon" | "meta" => return Err(not_emulated(model_id)),
        provider if OTHER_BEDROCK_PROVIDERS.contains(&provider) => return Err(not_emulated(model_id)),
        _ => return Err(invalid_identifier()),
    };
    Ok(family)
}

/// Claude models older than the Messages API also take text completions.
fn takes_text_completions(name: &str) -> bool {
    name.starts_with("claude-instant") || name.starts_with("claude-v")
}

/// Nova models that make images, video or speech rather than text.
fn is_nova_media(name: &str) -> bool {
    ["nova-canvas", "nova-reel", "nova-sonic"].iter().any(|media| name.starts_with(media))
}

fn invalid_identifier() -> AwsError {
    invalid("The provided model identifier is invalid.")
}

fn not_emulated(model_id: &str) -> AwsError {
    invalid(format!(
        "The devstack's InvokeModel answers Anthropic Claude, Amazon Titan Text and Nova, Meta Llama and \
         Mistral models, not {model_id} (Converse answers any model id)."
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn family(model_id: &str, body: &Value) -> Result<Family, String> {
        model_of(model_id)
            .and_then(|model| family_of(model, model_id, body))
            .map_err(|refusal| refusal.message)
    }

    #[test]
    fn the_provider_of_the_id_picks_the_family() {
        let prompt = json!({ "prompt": "hi" });
        let messages = json!({ "messages": [] });
        assert_eq!(family("amazon.titan-text-express-v1", &prompt), Ok(Family::TitanText));
        assert_eq!(family("amazon.titan-tg1-large", &prompt), Ok(Family::TitanText));
        assert_eq!(family("us.amazon.nova-lite-v1:0", &messages), Ok(Family::Nova));
        assert_eq!(family("eu.amazon.nova-micro-v1:0", &prompt), Ok(Family::Nova));
        assert_eq!(family("meta.llama3-8b-instruct-v1:0", &prompt), Ok(Family::Llama));
        assert_eq!(family("us.meta.llama3-2-1b-instruct-v1:0", &messages), Ok(Family::Llama));
        assert_eq!(family("mistral.mistral-7b-instruct-v0:2", &prompt), Ok(Family::MistralText));
        assert_eq!(family("mistral.mistral-7b-instruct-v0:2", &messages), Ok(Family::MistralText));
        assert_eq!(family("mistral.mistral-large-2402-v1:0", &messages), Ok(Family::MistralChat));
        assert_eq!(family("mistral.mistral-large-2402-v1:0", &prompt), Ok(Family::MistralText));
    }

    #[test]
    fn claude_bodies_choose_between_text_completions_and_messages() {
        let prompt = json!({ "prompt": "\n\nHuman: hi\n\nAssistant:", "max_tokens_to_sample": 10 });
        let messages = json!({ "anthropic_version": "bedrock-2023-05-31", "messages": [] });
        for legacy in ["anthropic.claude-v2", "anthropic.claude-v2:1", "anthropic.claude-instant-v1"] {
            assert_eq!(family(legacy, &prompt), Ok(Family::AnthropicText), "{legacy}");
            assert_eq!(family(legacy, &messages), Ok(Family::AnthropicMessages), "{legacy}");
            assert_eq!(family(legacy, &json!({})), Ok(Family::AnthropicText), "{legacy}");
        }
        let modern = "us.anthropic.claude-3-5-haiku-20241022-v1:0";
        assert_eq!(family(modern, &messages), Ok(Family::AnthropicMessages));
        assert_eq!(family(modern, &json!({})), Ok(Family::AnthropicMessages));
        assert_eq!(
            family(modern, &prompt),
            Err("\"claude-3-5-haiku-20241022\" is not supported on this API. Please use the Messages API instead."
                .to_owned())
        );
    }

    #[test]
    fn ids_bedrock_would_not_route_are_refused() {
        let body = json!({ "prompt": "hi" });
        let invalid = Err("The provided model identifier is invalid.".to_owned());
        assert_eq!(family("gpt-4o", &body), invalid);
        assert_eq!(family("acme.model-v1", &body), invalid);
        assert_eq!(family("us.", &body), invalid);
        for unemulated in [
            "cohere.command-r-v1:0",
            "amazon.titan-embed-text-v2:0",
            "amazon.nova-canvas-v1:0",
            "lexstream.devstack-demo-v1",
        ] {
            let refusal = family(unemulated, &body).unwrap_err();
            assert!(refusal.contains("not ") && refusal.contains(unemulated), "{refusal}");
        }
    }
}
