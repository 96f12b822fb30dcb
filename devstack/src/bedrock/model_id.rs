//! Reading a Bedrock model id as Bedrock routes it: an optional ARN path, an optional
//! cross-region inference-profile prefix (`us.`, `eu.`, `apac.`, `global.`, …), then
//! `provider.model-name-version`.

/// Geography prefixes of cross-region inference profiles (`us.anthropic.claude-…`).
const PROFILE_PREFIXES: [&str; 8] = ["us", "us-gov", "eu", "apac", "jp", "au", "ca", "global"];

/// The parts of a model id that decide how InvokeModel reads a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ModelId<'a> {
    /// e.g. `anthropic`, `amazon`, `meta`, `mistral`.
    pub(super) provider: &'a str,
    /// What follows the provider, e.g. `claude-3-haiku-20240307-v1:0`.
    pub(super) name: &'a str,
}

impl<'a> ModelId<'a> {
    /// Reads `raw` (a model id, an inference-profile id or an ARN of either); `None` when no
    /// provider can be told.
    pub(super) fn parse(raw: &'a str) -> Option<Self> {
        let id = raw.rsplit('/').next().unwrap_or(raw);
        let id = match id.split_once('.') {
            Some((prefix, rest)) if PROFILE_PREFIXES.contains(&prefix) && rest.contains('.') => rest,
            _ => id,
        };
        let (provider, name) = id.split_once('.')?;
        (!provider.is_empty() && !name.is_empty()).then_some(Self { provider, name })
    }

    /// The model's own name without Bedrock's version suffix, as Anthropic's responses name it:
    /// `claude-3-haiku-20240307-v1:0` → `claude-3-haiku-20240307`. Names whose version is their
    /// only number keep it (`claude-v2:1` → `claude-v2`).
    pub(super) fn base_name(&self) -> &'a str {
        let name = self.name.split(':').next().unwrap_or(self.name);
        match name.rsplit_once("-v") {
            Some((base, version))
                if !version.is_empty()
                    && version.chars().all(|c| c.is_ascii_digit())
                    && base.chars().any(|c| c.is_ascii_digit()) =>
            {
                base
            }
            _ => name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ModelId;

    #[test]
    fn providers_are_read_through_profiles_and_arns() {
        let plain = ModelId::parse("anthropic.claude-3-haiku-20240307-v1:0").unwrap();
        assert_eq!((plain.provider, plain.name), ("anthropic", "claude-3-haiku-20240307-v1:0"));
        for raw in [
            "us.anthropic.claude-3-haiku-20240307-v1:0",
            "global.anthropic.claude-3-haiku-20240307-v1:0",
            "apac.anthropic.claude-3-haiku-20240307-v1:0",
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
            "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0",
        ] {
            assert_eq!(ModelId::parse(raw), Some(plain), "{raw}");
        }
        assert_eq!(ModelId::parse("eu.amazon.nova-lite-v1:0").unwrap().provider, "amazon");
        assert_eq!(ModelId::parse("meta.llama3-8b-instruct-v1:0").unwrap().provider, "meta");
        assert_eq!(ModelId::parse("claude-3-haiku"), None);
        assert_eq!(ModelId::parse(""), None);
        assert_eq!(ModelId::parse("us.claude").unwrap().provider, "us");
    }

    #[test]
    fn base_names_drop_the_bedrock_version() {
        let name = |raw| ModelId::parse(raw).unwrap().base_name();
        assert_eq!(name("anthropic.claude-3-haiku-20240307-v1:0"), "claude-3-haiku-20240307");
        assert_eq!(name("us.anthropic.claude-sonnet-4-5-20250929-v1:0"), "claude-sonnet-4-5-20250929");
        assert_eq!(name("anthropic.claude-v2:1"), "claude-v2");
        assert_eq!(name("anthropic.claude-instant-v1"), "claude-instant-v1");
        assert_eq!(name("mistral.mistral-large-2407-v1:0"), "mistral-large-2407");
    }
}
