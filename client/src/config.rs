//! The widget's configuration: the Lex Web UI's config keys where they mean the same thing, read
//! from a JSON object, with one clear error naming the key that is missing or wrong.

use std::collections::BTreeMap;

use lexstream_protocol::lex::{ATTR_STREAMING_ENDPOINT, ATTR_STREAMING_TABLE, streaming_endpoint};

/// The attributes only the widget sets (from its own config): what makes a fulfillment stream,
/// and where.
const STREAMING_ATTRIBUTES: [&str; 2] = [ATTR_STREAMING_ENDPOINT, ATTR_STREAMING_TABLE];

/// The page's changes to the session attributes through the JS API (`setSessionAttributes`):
/// each name set to a value, or removed (`None`); one entry per name. A list, not a map: a
/// second map type would add its own B-tree code to the widget (~6 KB gzip).
pub type PageChanges = Vec<(String, Option<String>)>;
use lexstream_protocol::render::policy::ImageOrigins;
use serde_json::Value;

/// Everything the widget needs to talk to Cognito, Lex and the streaming WebSocket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetConfig {
    /// `region`.
    pub region: String,
    /// `cognito.poolId`: the identity pool visitors get their credentials from.
    pub identity_pool_id: String,
    /// `cognito.login` (`{ "provider", "token" }`): a signed-in visitor's login, for an
    /// authenticated identity; none (default) for an anonymous visitor.
    pub login: Option<crate::aws::cognito::Login>,
    /// `lex.v2BotId`.
    pub bot_id: String,
    /// `lex.v2BotAliasId`.
    pub bot_alias_id: String,
    /// `lex.v2BotLocaleId` (default `en_US`).
    pub locale_id: String,
    /// `lex.allowStreamingResponses` (default true when a WebSocket endpoint is set); always true
    /// with `transport: "appsync-events"`.
    pub streaming: bool,
    /// `lex.streamingWebSocketEndpoint`: the WebSocket stage URL (`wss://…/Prod`).
    pub websocket_url: Option<String>,
    /// `lex.streamingDynamoDbTable`: passed to the fulfillment in a session attribute.
    pub streaming_table: Option<String>,
    /// `lex.initialText`: the greeting.
    pub initial_text: String,
    /// `lex.sessionAttributes` (the Lex Web UI's key): the Lex session attributes every question
    /// starts with — page context such as a product id or a plan. The bot's own values from later
    /// answers win over them; they never override the streaming attributes or the server's own.
    pub session_attributes: BTreeMap<String, String>,
    /// `ui.toolbarTitle`.
    pub title: String,
    /// `endpoints.cognito`: Cognito identity's URL (default AWS's for the region).
    pub cognito_endpoint: String,
    /// `endpoints.lex`: the Lex V2 runtime's URL (default AWS's for the region).
    pub lex_endpoint: String,
    /// `transport: "appsync-events"`: stream over AppSync Events and ask `/chat` instead of Lex.
    pub appsync: Option<AppSyncConfig>,
    /// `debug`: show the debug view (connection and data events) inside the widget.
    pub debug: bool,
    /// `ui.streamingFormat`: how streamed v1 text shows before the final answer.
    pub streaming_format: StreamingFormat,
    /// `ui.position`: the page corner the launcher and the panel sit in, `"right"` (default) or
    /// `"left"`.
    pub position: Position,
    /// `ui.strings`: the widget's texts (English unless the page replaces them).
    pub strings: crate::strings::Strings,
    /// `ui.lang`: the language of the widget's own texts (a BCP 47 tag such as `ar` or
    /// `pt-BR`), given to the page as `lang`, with right-to-left layout for a language written
    /// that way. None: the page's.
    pub lang: Option<String>,
    /// `ui.allowedImageOrigins`: the origins images in answers may load from (default none:
    /// every image shows as its alt text).
    pub image_origins: ImageOrigins,
    /// `id` (the script tag's `data-id`): names a widget when a page has several; each keeps
    /// its conversation under its own keys in the tab's storage.
    pub storage: crate::persistence::TabStorage,
}

/// How streamed text shows while it arrives (`ui.streamingFormat`). Raw text from a legacy
/// fulfillment is always plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamingFormat {
    /// `"markdown"` (default): formatted as it arrives, with the final answer's renderer and
    /// sanitizer.
    #[default]
    Markdown,
    /// `"text"`: shown as plain text until the final answer replaces it.
    Text,
}

/// The bottom corner of the page the widget sits in (`ui.position`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Position {
    /// `"right"` (default).
    #[default]
    Right,
    /// `"left"`.
    Left,
}

impl Position {
    /// The value of the host's `data-position` attribute, which the stylesheet follows.
    pub fn as_str(self) -> &'static str {
        match self {
            Position::Right => "right",
            Position::Left => "left",
        }
    }
}

/// Where the AppSync Events flow lives (`transport: "appsync-events"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSyncConfig {
    /// `appsync.httpEndpoint`: the Event API's HTTP endpoint (`https://…/event`); its host signs
    /// every realtime operation.
    pub http_endpoint: String,
    /// `appsync.realtimeEndpoint`: the realtime WebSocket (default: derived from the HTTP one,
    /// `appsync-api` → `appsync-realtime-api` on AWS hosts, `/event/realtime` elsewhere).
    pub realtime_endpoint: String,
    /// `appsync.namespace` (default `chat`): answers arrive on `/<namespace>/<visitor>`.
    pub namespace: String,
    /// `appsync.chatEndpoint`: the `POST /chat` URL of the `appsync-chat` Lambda.
    pub chat_endpoint: String,
}

/// The realtime URL AWS's clients derive from an Event API's HTTP endpoint.
pub fn realtime_endpoint_for(http_endpoint: &str) -> String {
    let websocket = http_endpoint.replacen("https://", "wss://", 1).replacen("http://", "ws://", 1);
    let realtime = if websocket.contains(".appsync-api.") && websocket.contains(".amazonaws.com") {
        websocket.replacen(".appsync-api.", ".appsync-realtime-api.", 1)
    } else {
        websocket
    };
    format!("{}/realtime", realtime.trim_end_matches('/'))
}

/// A configuration value that is missing or unusable; the message names its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required key is absent or empty.
    #[error("Lexstream config: `{0}` is required")]
    Missing(&'static str),
    /// A key has a value of the wrong kind or shape.
    #[error("Lexstream config: `{key}` {problem}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// What is wrong.
        problem: String,
    },
}

fn lookup<'a>(config: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(config, |value, part| value.get(part))
}

fn text(config: &Value, key: &'static str) -> Result<Option<String>, ConfigError> {
    match lookup(config, key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(other) => Err(ConfigError::Invalid { key, problem: format!("must be a string, not {other}") }),
    }
}

fn required(config: &Value, key: &'static str) -> Result<String, ConfigError> {
    text(config, key)?.ok_or(ConfigError::Missing(key))
}

/// Resolves a URL that may be relative (`/Prod`) against the page's origin, turning `http` into
/// `ws` when `websocket` is set.
pub fn resolve_url(url: &str, page_origin: &str, websocket: bool) -> String {
    if url.contains("://") {
        return url.to_owned();
    }
    let absolute = format!("{}/{}", page_origin.trim_end_matches('/'), url.trim_start_matches('/'));
    if websocket {
        absolute.replacen("https://", "wss://", 1).replacen("http://", "ws://", 1)
    } else {
        absolute
    }
}

/// An object of string values (absent: empty).
pub(crate) fn string_map(config: &Value, key: &'static str) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut map = BTreeMap::new();
    match lookup(config, key) {
        None | Some(Value::Null) => {}
        Some(Value::Object(entries)) => {
            for (name, value) in entries {
                let Value::String(text) = value else {
                    let problem = format!("must hold strings, not {name}: {value}");
                    return Err(ConfigError::Invalid { key, problem });
                };
                map.insert(name.clone(), text.clone());
            }
        }
        Some(other) => {
            return Err(ConfigError::Invalid { key, problem: format!("must be an object, not {other}") });
        }
    }
    Ok(map)
}

/// `ui.allowedImageOrigins`: a JSON array of origins, or (from a `data-*` attribute) one string
/// of origins separated by spaces or commas.
fn image_origins(config: &Value) -> Result<ImageOrigins, ConfigError> {
    const KEY: &str = "ui.allowedImageOrigins";
    let invalid = |problem: String| ConfigError::Invalid { key: KEY, problem };
    let parsed = match lookup(config, KEY) {
        None | Some(Value::Null) => return Ok(ImageOrigins::none()),
        Some(Value::String(list)) => {
            let entries: Vec<&str> = list.split([' ', ',']).filter(|entry| !entry.is_empty()).collect();
            ImageOrigins::parse(&entries)
        }
        Some(Value::Array(entries)) => {
            let mut texts = Vec::with_capacity(entries.len());
            for entry in entries {
                let Value::String(text) = entry else {
                    return Err(invalid(format!("must list origins as strings, not {entry}")));
                };
                texts.push(text.trim());
            }
            ImageOrigins::parse(&texts)
        }
        Some(other) => return Err(invalid(format!("must be an array of origins, not {other}"))),
    };
    parsed.map_err(|error| invalid(format!("lists {error}")))
}

fn appsync_config(config: &Value, page_origin: &str) -> Result<AppSyncConfig, ConfigError> {
    let url = |key: &'static str| -> Result<String, ConfigError> {
        Ok(resolve_url(&required(config, key)?, page_origin, false))
    };
    let http_endpoint = url("appsync.httpEndpoint")?;
    let realtime_endpoint = match text(config, "appsync.realtimeEndpoint")? {
        Some(endpoint) => resolve_url(&endpoint, page_origin, true),
        None => realtime_endpoint_for(&http_endpoint),
    };
    let namespace = text(config, "appsync.namespace")?.unwrap_or_else(|| "chat".to_owned());
    if lexstream_protocol::appsync::validate_segment(&namespace).is_err() {
        return Err(ConfigError::Invalid {
            key: "appsync.namespace",
            problem: "must be 1-50 letters, digits or '-'".into(),
        });
    }
    Ok(AppSyncConfig {
        http_endpoint,
        realtime_endpoint,
        namespace,
        chat_endpoint: url("appsync.chatEndpoint")?,
    })
}

impl WidgetConfig {
    /// Reads the config object; relative URLs resolve against `page_origin`.
    pub fn from_json(config: &Value, page_origin: &str) -> Result<Self, ConfigError> {
        let region = required(config, "region")?;
        let identity_pool_id = required(config, "cognito.poolId")?;
        if !identity_pool_id.starts_with(&format!("{region}:")) {
            return Err(ConfigError::Invalid {
                key: "cognito.poolId",
                problem: format!("must be an identity pool of region {region} (\"{region}:…\")"),
            });
        }
        let appsync = match text(config, "transport")?.as_deref() {
            None | Some("lex-websocket") => None,
            Some("appsync-events") => Some(appsync_config(config, page_origin)?),
            Some(other) => {
                return Err(ConfigError::Invalid {
                    key: "transport",
                    problem: format!("must be \"lex-websocket\" or \"appsync-events\", not {other:?}"),
                });
            }
        };
        let bot_key = |key: &'static str| -> Result<String, ConfigError> {
            if appsync.is_some() { Ok(text(config, key)?.unwrap_or_default()) } else { required(config, key) }
        };
        let websocket_url =
            text(config, "lex.streamingWebSocketEndpoint")?.map(|url| resolve_url(&url, page_origin, true));
        if let Some(url) = &websocket_url
            && !(url.starts_with("wss://") || url.starts_with("ws://"))
        {
            return Err(ConfigError::Invalid {
                key: "lex.streamingWebSocketEndpoint",
                problem: "must be a wss:// URL".into(),
            });
        }
        // `lex.allowStreamingResponses` is the Lex flow's switch; the AppSync flow always streams.
        let streaming = match lookup(config, "lex.allowStreamingResponses") {
            _ if appsync.is_some() => true,
            None | Some(Value::Null) => websocket_url.is_some(),
            Some(Value::Bool(allowed)) => *allowed,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    key: "lex.allowStreamingResponses",
                    problem: format!("must be true or false, not {other}"),
                });
            }
        };
        if streaming && websocket_url.is_none() && appsync.is_none() {
            return Err(ConfigError::Missing("lex.streamingWebSocketEndpoint"));
        }
        let endpoint = |key: &'static str, default: String| -> Result<String, ConfigError> {
            Ok(text(config, key)?.map_or(default, |url| resolve_url(&url, page_origin, false)))
        };
        Ok(Self {
            cognito_endpoint: endpoint(
                "endpoints.cognito",
                format!("https://cognito-identity.{region}.amazonaws.com"),
            )?,
            lex_endpoint: endpoint(
                "endpoints.lex",
                format!("https://runtime-v2-lex.{region}.amazonaws.com"),
            )?,
            identity_pool_id,
            login: login(config)?,
            bot_id: bot_key("lex.v2BotId")?,
            bot_alias_id: bot_key("lex.v2BotAliasId")?,
            appsync,
            debug: match lookup(config, "debug") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(on)) => *on,
                Some(other) => {
                    return Err(ConfigError::Invalid {
                        key: "debug",
                        problem: format!("must be true or false, not {other}"),
                    });
                }
            },
            locale_id: text(config, "lex.v2BotLocaleId")?.unwrap_or_else(|| "en_US".to_owned()),
            streaming,
            websocket_url,
            streaming_table: text(config, "lex.streamingDynamoDbTable")?,
            initial_text: text(config, "lex.initialText")?
                .unwrap_or_else(|| "Hi! How can I help you today?".to_owned()),
            title: text(config, "ui.toolbarTitle")?.unwrap_or_else(|| "Chat".to_owned()),
            image_origins: image_origins(config)?,
            session_attributes: string_map(config, "lex.sessionAttributes")?,
            lang: crate::language::language_tag(text(config, "ui.lang")?)?,
            strings: crate::strings::Strings::from_json(config)?,
            position: match text(config, "ui.position")?.as_deref() {
                None | Some("right") => Position::Right,
                Some("left") => Position::Left,
                Some(other) => {
                    let problem = format!("must be \"left\" or \"right\", not {other:?}");
                    return Err(ConfigError::Invalid { key: "ui.position", problem });
                }
            },
            streaming_format: match text(config, "ui.streamingFormat")?.as_deref() {
                None | Some("markdown") => StreamingFormat::Markdown,
                Some("text") => StreamingFormat::Text,
                Some(other) => {
                    return Err(ConfigError::Invalid {
                        key: "ui.streamingFormat",
                        problem: format!("must be \"markdown\" or \"text\", not {other:?}"),
                    });
                }
            },
            storage: crate::persistence::TabStorage::for_widget(widget_id(config)?.as_deref()),
            region,
        })
    }
}

/// `cognito.login`: an object with both its provider and its token, or nothing.
fn login(config: &Value) -> Result<Option<crate::aws::cognito::Login>, ConfigError> {
    if let Some(other) =
        lookup(config, "cognito.login").filter(|login| !(login.is_object() || login.is_null()))
    {
        let problem = format!("must be {{\"provider\": …, \"token\": …}}, not {other}");
        return Err(ConfigError::Invalid { key: "cognito.login", problem });
    }
    let provider = text(config, "cognito.login.provider")?;
    let token = text(config, "cognito.login.token")?;
    Ok(match (provider, token) {
        (Some(provider), Some(token)) => Some(crate::aws::cognito::Login { provider, token }),
        (None, None) => None,
        (None, _) => return Err(ConfigError::Missing("cognito.login.provider")),
        (_, None) => return Err(ConfigError::Missing("cognito.login.token")),
    })
}

/// `id`: letters, digits, `-` and `_`, at most 40 (it becomes part of storage keys).
fn widget_id(config: &Value) -> Result<Option<String>, ConfigError> {
    let id = text(config, "id")?;
    if let Some(id) = &id
        && (id.len() > 40 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        let problem = format!("must be at most 40 letters, digits, - or _, not {id:?}");
        return Err(ConfigError::Invalid { key: "id", problem });
    }
    Ok(id)
}

impl WidgetConfig {
    /// The session attributes a question carries, before the server-owned ones are taken out:
    /// the page's `lex.sessionAttributes`, then those of the last answer (`saved`: the bot's
    /// values win), then the page's changes through the JS API (`changes`: each set, or removed
    /// with `None`; they win over the bot's), then the streaming attributes (only the widget's
    /// own: a page's or a bot's `streamingEndpoint` never goes through, streaming or not).
    pub fn question_attributes(
        &self,
        saved: &BTreeMap<String, String>,
        changes: &PageChanges,
    ) -> BTreeMap<String, String> {
        let mut merged = self.session_attributes.clone();
        merged.extend(saved.iter().map(|(name, value)| (name.clone(), value.clone())));
        let kept = |name: &String| !STREAMING_ATTRIBUTES.contains(&name.as_str());
        // Rebuilt rather than `remove`d: B-tree removal would add ~2 KB of gzip to the widget.
        let mut attributes = BTreeMap::new();
        let changed = |name: &String| changes.iter().any(|(changed, _)| changed == name);
        attributes.extend(merged.into_iter().filter(|(name, _)| kept(name) && !changed(name)));
        attributes.extend(
            changes
                .iter()
                .filter(|(name, _)| kept(name))
                .filter_map(|(name, value)| Some((name.clone(), value.clone()?))),
        );
        self.with_streaming_attributes(attributes)
    }

    /// `attributes` with those that ask the fulfillment to stream (none when streaming is off or
    /// the AppSync flow is used): `streamingEndpoint` in its https form, exactly as the Lex Web
    /// UI sends it (a Lex Web UI fulfillment hands it to boto3, which refuses `wss://`), and
    /// `streamingDynamoDbTable` when configured.
    fn with_streaming_attributes(
        &self,
        mut attributes: BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        if let (true, None, Some(stage_url)) = (self.streaming, &self.appsync, &self.websocket_url) {
            attributes.insert(ATTR_STREAMING_ENDPOINT.to_owned(), streaming_endpoint(stage_url));
            if let Some(table) = &self.streaming_table {
                attributes.insert(ATTR_STREAMING_TABLE.to_owned(), table.clone());
            }
        }
        attributes
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn lex_web_ui_config() -> Value {
        json!({
            "region": "us-east-1",
            "cognito": { "poolId": "us-east-1:0d2a8f6c-1111-2222-3333-444455556666" },
            "lex": {
                "v2BotId": "LXSDEMOBOT", "v2BotAliasId": "TSTALIASID", "v2BotLocaleId": "en_US",
                "streamingWebSocketEndpoint": "wss://abc.execute-api.us-east-1.amazonaws.com/Prod",
                "streamingDynamoDbTable": "streaming-table", "initialText": "Welcome!"
            },
            "ui": { "toolbarTitle": "Support" }
        })
    }

    #[test]
    fn a_lex_web_ui_config_is_read_with_aws_endpoints() {
        let config = WidgetConfig::from_json(&lex_web_ui_config(), "https://shop.example").unwrap();
        assert_eq!(config.title, "Support");
        assert_eq!(config.initial_text, "Welcome!");
        assert!(config.streaming);
        assert_eq!(config.lex_endpoint, "https://runtime-v2-lex.us-east-1.amazonaws.com");
        assert_eq!(config.cognito_endpoint, "https://cognito-identity.us-east-1.amazonaws.com");
    }

    #[test]
    fn the_streaming_endpoint_attribute_is_the_https_form_of_the_stage_as_the_lex_web_ui_sends_it() {
        let config = WidgetConfig::from_json(&lex_web_ui_config(), "https://shop.example").unwrap();
        let attributes = config.question_attributes(&BTreeMap::new(), &Vec::new());
        assert_eq!(attributes["streamingEndpoint"], "https://abc.execute-api.us-east-1.amazonaws.com/Prod");
        assert_eq!(attributes["streamingDynamoDbTable"], "streaming-table");
        let mut local = lex_web_ui_config();
        local["lex"]["streamingWebSocketEndpoint"] = "/Prod".into();
        let config = WidgetConfig::from_json(&local, "http://127.0.0.1:8080").unwrap();
        assert_eq!(
            config.question_attributes(&BTreeMap::new(), &Vec::new())["streamingEndpoint"],
            "http://127.0.0.1:8080/Prod"
        );
        let mut off = lex_web_ui_config();
        off["lex"]["allowStreamingResponses"] = false.into();
        let config = WidgetConfig::from_json(&off, "https://shop.example").unwrap();
        assert!(config.question_attributes(&BTreeMap::new(), &Vec::new()).is_empty());
    }

    #[test]
    fn relative_endpoints_resolve_against_the_page() {
        let mut json = lex_web_ui_config();
        json["lex"]["streamingWebSocketEndpoint"] = "/Prod".into();
        json["endpoints"] = json!({ "cognito": "/", "lex": "/" });
        let config = WidgetConfig::from_json(&json, "http://127.0.0.1:8080").unwrap();
        assert_eq!(config.websocket_url.as_deref(), Some("ws://127.0.0.1:8080/Prod"));
        assert_eq!(config.lex_endpoint, "http://127.0.0.1:8080/");
    }

    #[test]
    fn four_keys_are_a_whole_config() {
        let json = json!({
            "region": "eu-west-1",
            "cognito": { "poolId": "eu-west-1:abc" },
            "lex": { "v2BotId": "B", "v2BotAliasId": "A" }
        });
        let config = WidgetConfig::from_json(&json, "https://x.example").unwrap();
        assert!(!config.streaming, "no WebSocket endpoint: answers arrive without streaming");
        assert_eq!(config.lex_endpoint, "https://runtime-v2-lex.eu-west-1.amazonaws.com");
    }

    #[test]
    fn the_pages_changes_win_over_the_bot_and_never_set_the_streaming_attributes() {
        let mut json = lex_web_ui_config();
        json["lex"]["sessionAttributes"] = json!({ "productId": "sku-1", "page": "product" });
        let config = WidgetConfig::from_json(&json, "https://shop.example").unwrap();
        let saved = BTreeMap::from([("productId".to_owned(), "sku-1".to_owned())]);
        let changes = PageChanges::from([
            ("productId".to_owned(), Some("sku-2".to_owned())),
            ("page".to_owned(), None),
            ("streamingEndpoint".to_owned(), Some("https://evil.example".to_owned())),
        ]);
        let attributes = config.question_attributes(&saved, &changes);
        assert_eq!(attributes["productId"], "sku-2", "the page's later value wins over the echoed one");
        assert!(!attributes.contains_key("page"), "removed: {attributes:?}");
        assert_eq!(attributes["streamingEndpoint"], "https://abc.execute-api.us-east-1.amazonaws.com/Prod");
        json["lex"]["allowStreamingResponses"] = false.into();
        let config = WidgetConfig::from_json(&json, "https://shop.example").unwrap();
        let saved = BTreeMap::from([("streamingDynamoDbTable".to_owned(), "other".to_owned())]);
        let attributes = config.question_attributes(&saved, &changes);
        assert!(
            !attributes.contains_key("streamingEndpoint")
                && !attributes.contains_key("streamingDynamoDbTable"),
            "not streaming: no streaming attribute from anyone: {attributes:?}"
        );
    }

    #[test]
    fn a_named_widget_keeps_its_own_storage_and_a_bad_name_names_its_key() {
        let config = WidgetConfig::from_json(&lex_web_ui_config(), "").unwrap();
        assert_eq!(config.storage.key("open"), "lexstream.open");
        let mut json = lex_web_ui_config();
        json["id"] = "sales-2".into();
        let config = WidgetConfig::from_json(&json, "").unwrap();
        assert_eq!(config.storage.key("open"), "lexstream.sales-2.open");
        json["id"] = "a.b".into();
        let error = WidgetConfig::from_json(&json, "").unwrap_err().to_string();
        assert!(error.contains("`id` must be at most 40 letters"), "{error}");
    }

    #[test]
    fn a_login_needs_its_provider_and_its_token() {
        assert_eq!(WidgetConfig::from_json(&lex_web_ui_config(), "").unwrap().login, None);
        let mut json = lex_web_ui_config();
        json["cognito"]["login"] = json!({ "provider": "login.example.com", "token": "eyJ.x.y" });
        let login = WidgetConfig::from_json(&json, "").unwrap().login.unwrap();
        assert_eq!((login.provider.as_str(), login.token.as_str()), ("login.example.com", "eyJ.x.y"));
        json["cognito"]["login"] = json!({ "token": "eyJ.x.y" });
        let error = WidgetConfig::from_json(&json, "").unwrap_err().to_string();
        assert!(error.contains("`cognito.login.provider`"), "{error}");
        json["cognito"]["login"] = json!({ "provider": "login.example.com", "token": 7 });
        let error = WidgetConfig::from_json(&json, "").unwrap_err().to_string();
        assert!(error.contains("`cognito.login.token`"), "{error}");
        json["cognito"]["login"] = json!("eyJ.x.y");
        let error = WidgetConfig::from_json(&json, "").unwrap_err().to_string();
        assert!(error.contains("`cognito.login` must be {\"provider\""), "{error}");
    }

    #[test]
    fn page_session_attributes_start_every_question_and_never_override_streaming() {
        let mut json = lex_web_ui_config();
        json["lex"]["sessionAttributes"] =
            json!({ "productId": "sku-42", "plan": "trial", "streamingEndpoint": "https://evil.example" });
        let config = WidgetConfig::from_json(&json, "https://shop.example").unwrap();
        assert_eq!(config.session_attributes["productId"], "sku-42");
        let first = config.question_attributes(&BTreeMap::new(), &Vec::new());
        assert_eq!((first["productId"].as_str(), first["plan"].as_str()), ("sku-42", "trial"));
        assert_eq!(first["streamingEndpoint"], "https://abc.execute-api.us-east-1.amazonaws.com/Prod");
        // The bot's value from the last answer wins over the page's initial one.
        let saved = BTreeMap::from([("plan".to_owned(), "pro".to_owned())]);
        assert_eq!(config.question_attributes(&saved, &Vec::new())["plan"], "pro");
        assert!(WidgetConfig::from_json(&lex_web_ui_config(), "").unwrap().session_attributes.is_empty());
    }

    #[test]
    fn the_widget_sits_right_unless_the_page_asks_for_left() {
        let config = WidgetConfig::from_json(&lex_web_ui_config(), "").unwrap();
        assert_eq!(config.position, Position::Right);
        let mut json = lex_web_ui_config();
        json["ui"]["position"] = "left".into();
        assert_eq!(WidgetConfig::from_json(&json, "").unwrap().position, Position::Left);
        json["ui"]["position"] = "top".into();
        assert_eq!(
            WidgetConfig::from_json(&json, "").unwrap_err().to_string(),
            "Lexstream config: `ui.position` must be \"left\" or \"right\", not \"top\""
        );
    }

    #[test]
    fn the_language_is_a_tag_or_a_clear_error() {
        let mut json = lex_web_ui_config();
        json["ui"]["lang"] = "ar-EG".into();
        assert_eq!(WidgetConfig::from_json(&json, "").unwrap().lang.as_deref(), Some("ar-EG"));
        json["ui"]["lang"] = "<script>".into();
        let error = WidgetConfig::from_json(&json, "").unwrap_err().to_string();
        assert!(error.contains("`ui.lang` must be a language tag"), "{error}");
        assert_eq!(WidgetConfig::from_json(&lex_web_ui_config(), "").unwrap().lang, None);
    }

    #[test]
    fn session_attributes_must_be_an_object_of_strings() {
        for (value, needle) in [
            (json!(["sku-42"]), "must be an object"),
            (json!({ "productId": 42 }), "must hold strings, not productId: 42"),
        ] {
            let mut json = lex_web_ui_config();
            json["lex"]["sessionAttributes"] = value;
            let error = WidgetConfig::from_json(&json, "").unwrap_err().to_string();
            assert!(error.contains("`lex.sessionAttributes`") && error.contains(needle), "{error}");
        }
    }

    #[test]
    fn each_problem_names_its_key() {
        let mut json = lex_web_ui_config();
        json["lex"]["v2BotId"] = Value::Null;
        assert_eq!(
            WidgetConfig::from_json(&json, "").unwrap_err().to_string(),
            "Lexstream config: `lex.v2BotId` is required"
        );
        let mut json = lex_web_ui_config();
        json["cognito"]["poolId"] = "eu-west-1:abc".into();
        assert!(WidgetConfig::from_json(&json, "").unwrap_err().to_string().contains("`cognito.poolId`"));
        let mut json = lex_web_ui_config();
        json["lex"]["allowStreamingResponses"] = "yes".into();
        assert!(
            WidgetConfig::from_json(&json, "")
                .unwrap_err()
                .to_string()
                .contains("`lex.allowStreamingResponses`")
        );
        let mut json = lex_web_ui_config();
        json["lex"]["streamingWebSocketEndpoint"] = Value::Null;
        json["lex"]["allowStreamingResponses"] = true.into();
        assert_eq!(
            WidgetConfig::from_json(&json, "").unwrap_err(),
            ConfigError::Missing("lex.streamingWebSocketEndpoint")
        );
    }

    #[test]
    fn streamed_text_is_markdown_unless_the_page_asks_for_text() {
        let config = WidgetConfig::from_json(&lex_web_ui_config(), "").unwrap();
        assert_eq!(config.streaming_format, StreamingFormat::Markdown);
        let mut json = lex_web_ui_config();
        json["ui"] = json!({ "streamingFormat": "text" });
        assert_eq!(WidgetConfig::from_json(&json, "").unwrap().streaming_format, StreamingFormat::Text);
        json["ui"] = json!({ "streamingFormat": "html" });
        assert!(WidgetConfig::from_json(&json, "").unwrap_err().to_string().contains("`ui.streamingFormat`"));
    }

    #[test]
    fn images_load_from_no_origin_unless_the_page_lists_some() {
        let config = WidgetConfig::from_json(&lex_web_ui_config(), "").unwrap();
        assert_eq!(config.image_origins, ImageOrigins::none());
        let mut json = lex_web_ui_config();
        json["ui"] = json!({ "allowedImageOrigins": ["https://CDN.example.com/", "http://127.0.0.1:9000"] });
        let config = WidgetConfig::from_json(&json, "").unwrap();
        assert_eq!(config.image_origins.origins(), ["https://cdn.example.com", "http://127.0.0.1:9000"]);
        assert!(config.image_origins.allows("https://cdn.example.com/a.png"));
    }

    #[test]
    fn a_data_attribute_lists_image_origins_separated_by_spaces_or_commas() {
        let mut json = lex_web_ui_config();
        json["ui"]["allowedImageOrigins"] = "https://a.example, https://b.example".into();
        let config = WidgetConfig::from_json(&json, "").unwrap();
        assert_eq!(config.image_origins.origins(), ["https://a.example", "https://b.example"]);
    }

    #[test]
    fn an_image_origin_that_is_not_an_origin_names_its_key_and_entry() {
        for bad in [json!(["https://cdn.example.com/images"]), json!(["*"]), json!([7]), json!(true)] {
            let mut json = lex_web_ui_config();
            json["ui"] = json!({ "allowedImageOrigins": bad });
            let error = WidgetConfig::from_json(&json, "").unwrap_err().to_string();
            assert!(error.contains("`ui.allowedImageOrigins`"), "{error}");
        }
        let mut json = lex_web_ui_config();
        json["ui"] = json!({ "allowedImageOrigins": ["/images"] });
        let error = WidgetConfig::from_json(&json, "").unwrap_err().to_string();
        assert!(error.contains("\"/images\" is not an origin"), "{error}");
    }

    #[test]
    fn the_appsync_transport_needs_no_bot_and_derives_its_realtime_endpoint() {
        let config = json!({
            "transport": "appsync-events",
            "region": "us-east-1",
            "cognito": { "poolId": "us-east-1:0d2a8f6c-1111-2222-3333-444455556666" },
            "appsync": { "httpEndpoint": "/event", "chatEndpoint": "https://chat.example.com/chat" },
            "lex": { "allowStreamingResponses": false },
            "debug": true
        });
        let parsed = WidgetConfig::from_json(&config, "http://127.0.0.1:8080").unwrap();
        let appsync = parsed.appsync.unwrap();
        assert_eq!(appsync.http_endpoint, "http://127.0.0.1:8080/event");
        assert_eq!(appsync.realtime_endpoint, "ws://127.0.0.1:8080/event/realtime");
        assert_eq!(appsync.namespace, "chat");
        assert!(parsed.streaming, "the AppSync flow always streams");
        assert!(parsed.debug);
        assert_eq!(
            realtime_endpoint_for("https://abc.appsync-api.eu-west-1.amazonaws.com/event"),
            "wss://abc.appsync-realtime-api.eu-west-1.amazonaws.com/event/realtime"
        );
    }

    #[test]
    fn appsync_mistakes_name_their_key() {
        let base = |extra: Value| {
            let mut config = json!({
                "region": "us-east-1",
                "cognito": { "poolId": "us-east-1:0d2a8f6c-1111-2222-3333-444455556666" },
            });
            config.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            WidgetConfig::from_json(&config, "https://example.com").unwrap_err().to_string()
        };
        assert!(base(json!({ "transport": "carrier-pigeon" })).contains("`transport`"));
        let missing = base(json!({ "transport": "appsync-events", "appsync": { "chatEndpoint": "/chat" } }));
        assert!(missing.contains("appsync.httpEndpoint"), "{missing}");
        let namespace = base(json!({ "transport": "appsync-events",
            "appsync": { "httpEndpoint": "/event", "chatEndpoint": "/chat", "namespace": "a/b" } }));
        assert!(namespace.contains("appsync.namespace"), "{namespace}");
        let mut debug = lex_web_ui_config();
        debug["debug"] = json!("yes");
        let error = WidgetConfig::from_json(&debug, "https://example.com").unwrap_err().to_string();
        assert!(error.contains("`debug`"), "{error}");
    }
}
