//! The deployment template (`server-lambdas/template.yaml`) against the linters and against the
//! code: `cfn-lint`, `sam validate --lint` and `checkov` (every finding fixed or skipped in the
//! template with its reason, for every switch) pass; the access logs are JSON without identity
//! ids; each Lambda's environment holds what its
//! config reads (and nothing it ignores); the table's key and TTL, the WebSocket routes, the
//! `onSubscribe` rule and the widget config the stack outputs all match what the code uses —
//! for every combination of the template's switches; the per-visitor limits are parameters whose
//! defaults are the code's, and the Lambdas' policies allow exactly the table items they write.
//!
//! The template is read with cfn-lint's own YAML decoder (intrinsics become `{"Ref": …}`,
//! `{"Fn::Sub": …}`, …), then evaluated here with placeholder values for what only AWS knows.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use lexstream_client::config::WidgetConfig;
use lexstream_lambda_core::aws::dynamodb;
use lexstream_lambda_core::config::{ChatConfig, ConnectConfig, FulfillmentConfig};
use lexstream_lambda_core::connect::routes;
use lexstream_lambda_core::log_hash::LogHashKey;
use lexstream_protocol::appsync::check_own_channel;
use lexstream_protocol::limits::{
    DEFAULT_ANSWERS_PER_IDENTITY_PER_MINUTE, DEFAULT_CONNECTS_PER_IDENTITY_PER_MINUTE,
};
use serde_json::{Map, Value};

const REGION: &str = "eu-west-1";
const POOL_ID: &str = "eu-west-1:11111111-2222-3333-4444-555555555555";

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn template_path() -> PathBuf {
    workspace().join("server-lambdas/template.yaml")
}

fn venv(variable: &str, default: &str) -> PathBuf {
    std::env::var_os(variable).map_or_else(|| workspace().join(default), PathBuf::from)
}

fn template() -> Value {
    let python = venv("LEXSTREAM_VENV", ".venv").join("bin/python3");
    let script = "import json, sys\nfrom cfnlint.decode import decode\n\
                  template, problems = decode(sys.argv[1])\n\
                  assert not problems, problems\nprint(json.dumps(template, default=str))";
    let output =
        Command::new(&python).args(["-c", script]).arg(template_path()).output().unwrap_or_else(|e| {
            panic!("{} (run `cargo xtask setup`): {e}", python.display());
        });
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Which of the template's conditions hold.
#[derive(Debug, Clone, Copy)]
struct Switches {
    streaming: bool,
    sample_bot: bool,
    appsync: bool,
    long_answers: bool,
}

const ALL_SWITCHES: [Switches; 16] = {
    let mut all = [Switches { streaming: false, sample_bot: false, appsync: false, long_answers: false }; 16];
    let mut i = 0;
    while i < 16 {
        all[i] = Switches {
            streaming: i & 1 != 0,
            sample_bot: i & 2 != 0,
            appsync: i & 4 != 0,
            long_answers: i & 8 != 0,
        };
        i += 1;
    }
    all
};

/// Evaluates intrinsics as CloudFormation would, with placeholders for AWS-made values.
struct Evaluator<'a> {
    template: &'a Value,
    switches: Switches,
}

/// What an expression evaluates to: a value, or `AWS::NoValue` (the key disappears).
enum Evaluated {
    Value(Value),
    NoValue,
}

impl Evaluator<'_> {
    fn condition(&self, name: &str) -> bool {
        match name {
            "Streaming" => self.switches.streaming,
            "SampleBot" => self.switches.sample_bot,
            "AppSyncEvents" => self.switches.appsync,
            "LongAnswersOn" => self.switches.streaming && self.switches.long_answers,
            "Hosting" => true,
            // No sign-in provider: the parameters' defaults.
            "SignInUserPool" | "SignInOidc" | "SignIn" => false,
            other => panic!("unknown condition {other}"),
        }
    }

    fn reference(&self, name: &str) -> String {
        match name {
            "AWS::Region" => REGION.into(),
            "AWS::AccountId" => "123456789012".into(),
            "AWS::Partition" => "aws".into(),
            "AWS::URLSuffix" => "amazonaws.com".into(),
            "AWS::StackName" => "lexstream".into(),
            "IdentityPool" => POOL_ID.into(),
            _ => match self.template["Parameters"].get(name) {
                Some(parameter) => match name {
                    "ExistingBotId" => "EXISTINGBOT".into(),
                    "ExistingBotAliasId" => "EXISTINGALIAS".into(),
                    _ => parameter["Default"]
                        .as_str()
                        .map_or_else(|| parameter["Default"].to_string(), str::to_owned),
                },
                None => {
                    assert!(self.template["Resources"].get(name).is_some(), "Ref to unknown {name}");
                    format!("ref-{name}")
                }
            },
        }
    }

    fn attribute(&self, path: &str) -> String {
        let (resource, attribute) = path.split_once('.').unwrap();
        assert!(self.template["Resources"].get(resource).is_some(), "GetAtt of unknown {resource}");
        match (resource, attribute) {
            ("EventApi", "Dns.Http") => "abc.appsync-api.eu-west-1.amazonaws.com".into(),
            ("EventApi", "Dns.Realtime") => "abc.appsync-realtime-api.eu-west-1.amazonaws.com".into(),
            ("ChatHttpApi", "ApiEndpoint") => "https://chat123.execute-api.eu-west-1.amazonaws.com".into(),
            _ => format!("{resource}-{attribute}"),
        }
    }

    fn substitute(&self, text: &str, variables: &Map<String, Value>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').unwrap() + start;
            let name = &rest[start + 2..end];
            let value = match variables.get(name) {
                Some(value) => self.string(value),
                None if name.contains('.') && !name.starts_with("AWS::") => self.attribute(name),
                None => self.reference(name),
            };
            out.push_str(&value);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn string(&self, expression: &Value) -> String {
        match self.eval(expression) {
            Evaluated::Value(Value::String(text)) => text,
            Evaluated::Value(other) => other.to_string(),
            Evaluated::NoValue => panic!("AWS::NoValue where a string is needed: {expression}"),
        }
    }

    fn eval(&self, expression: &Value) -> Evaluated {
        let Value::Object(map) = expression else { return Evaluated::Value(expression.clone()) };
        if map.len() == 1 {
            let (key, argument) = map.iter().next().unwrap();
            match key.as_str() {
                "Ref" if argument == "AWS::NoValue" => return Evaluated::NoValue,
                "Ref" => return Evaluated::Value(Value::String(self.reference(argument.as_str().unwrap()))),
                "Fn::GetAtt" => {
                    let path = match argument {
                        Value::Array(parts) => {
                            parts.iter().map(|p| p.as_str().unwrap()).collect::<Vec<_>>().join(".")
                        }
                        other => other.as_str().unwrap().to_owned(),
                    };
                    return Evaluated::Value(Value::String(self.attribute(&path)));
                }
                "Fn::Sub" => {
                    let (text, variables) = match argument {
                        Value::Array(parts) => {
                            (parts[0].as_str().unwrap(), parts[1].as_object().cloned().unwrap())
                        }
                        other => (other.as_str().unwrap(), Map::new()),
                    };
                    return Evaluated::Value(Value::String(self.substitute(text, &variables)));
                }
                "Fn::If" => {
                    let parts = argument.as_array().unwrap();
                    let branch =
                        if self.condition(parts[0].as_str().unwrap()) { &parts[1] } else { &parts[2] };
                    return self.eval(branch);
                }
                "Fn::Join" => {
                    let parts = argument.as_array().unwrap();
                    let separator = parts[0].as_str().unwrap();
                    let items: Vec<String> = parts[1]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter_map(|item| match self.eval(item) {
                            Evaluated::Value(Value::String(text)) => Some(text),
                            Evaluated::Value(other) => Some(other.to_string()),
                            Evaluated::NoValue => None,
                        })
                        .collect();
                    return Evaluated::Value(Value::String(items.join(separator)));
                }
                _ => {}
            }
        }
        let mut object = Map::new();
        for (key, value) in map {
            if let Evaluated::Value(value) = self.eval(value) {
                object.insert(key.clone(), value);
            }
        }
        Evaluated::Value(Value::Object(object))
    }
}

fn resource<'a>(template: &'a Value, name: &str) -> &'a Value {
    template["Resources"].get(name).unwrap_or_else(|| panic!("the template has no {name}"))
}

/// A function's environment variables under `switches`.
fn environment(template: &Value, function: &str, switches: Switches) -> BTreeMap<String, String> {
    let evaluator = Evaluator { template, switches };
    let variables = &resource(template, function)["Properties"]["Environment"]["Variables"];
    let Evaluated::Value(Value::Object(map)) = evaluator.eval(variables) else { panic!("no variables") };
    map.into_iter()
        .map(|(name, value)| (name, value.as_str().map_or_else(|| value.to_string(), str::to_owned)))
        .collect()
}

/// Reads a config through `read`, from `variables`; returns the names it asked for.
fn names_read<T, E: std::fmt::Debug>(
    variables: &BTreeMap<String, String>,
    read: impl FnOnce(&dyn Fn(&str) -> Option<String>) -> Result<T, E>,
) -> BTreeSet<String> {
    let asked = RefCell::new(BTreeSet::new());
    let lookup = |name: &str| {
        asked.borrow_mut().insert(name.to_owned());
        variables.get(name).cloned()
    };
    if let Err(error) = read(&lookup) {
        panic!("the template's environment {variables:?} is not a valid config: {error:?}");
    }
    asked.into_inner()
}

#[test]
fn cfn_lint_passes() {
    let cfn_lint = venv("LEXSTREAM_VENV", ".venv").join("bin/cfn-lint");
    let output = Command::new(&cfn_lint).arg(template_path()).output().unwrap();
    assert!(output.status.success(), "cfn-lint:\n{}", String::from_utf8_lossy(&output.stdout));
}

#[test]
fn sam_validate_lint_passes() {
    let sam = venv("LEXSTREAM_SAM_VENV", ".venv-sam").join("bin/sam");
    let output = Command::new(&sam)
        .args(["validate", "--lint", "--template"])
        .arg(template_path())
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("SAM_CLI_TELEMETRY", "0")
        .output()
        .unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success() && text.contains("is a valid SAM Template"), "sam validate:\n{text}");
}

/// The template with every switch on (streaming, sample bot, AppSync Events, hosting, long
/// answers): checkov leaves out the resources whose condition the parameters' defaults turn off.
fn template_with_every_switch_on() -> String {
    let mut text = std::fs::read_to_string(template_path()).unwrap();
    for switch in
        ["AllowStreamingResponses", "CreateSampleBot", "EnableAppSyncEvents", "HostWidget", "LongAnswers"]
    {
        let heading = format!("\n  {switch}:\n");
        let start = text.find(&heading).unwrap_or_else(|| panic!("no parameter {switch}"));
        let body = start + heading.len();
        // The parameter's lines are indented by four spaces; the first line that is not ends it.
        let end = text[body..]
            .match_indices('\n')
            .map(|(at, _)| body + at)
            .find(|&at| !text[at + 1..].starts_with("    "))
            .unwrap_or(text.len());
        let parameter = text[start..end].replace(r#"Default: "false""#, r#"Default: "true""#);
        assert!(parameter.contains(r#"Default: "true""#), "{switch} has no true default:\n{parameter}");
        text.replace_range(start..end, &parameter);
    }
    text
}

/// Runs checkov on `template`; answers its JSON report.
fn checkov(template: &std::path::Path) -> std::process::Child {
    let checkov = venv("LEXSTREAM_CHECKOV_VENV", ".venv-checkov").join("bin/checkov");
    Command::new(&checkov)
        .args(["--framework", "cloudformation", "--quiet", "--skip-download", "--output", "json", "--file"])
        .arg(template)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{} (run `cargo xtask setup`): {e}", checkov.display()))
}

#[test]
fn checkov_finds_nothing_unexplained_with_any_switch() {
    let every_switch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("template-every-switch-on.yaml");
    std::fs::write(&every_switch, template_with_every_switch_on()).unwrap();
    // Both at once: each takes a few seconds, mostly loading checkov's checks.
    let runs = [template_path(), every_switch].map(|template| (checkov(&template), template));
    for (run, template) in runs {
        let output = run.wait_with_output().unwrap();
        let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!("checkov {}: {e}\n{}", template.display(), String::from_utf8_lossy(&output.stdout))
        });
        let summary = &report["summary"];
        let failed: Vec<String> = report["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|check| format!("{} {} ({})", check["check_id"], check["resource"], check["check_name"]))
            .collect();
        assert!(
            failed.is_empty(),
            "checkov on {}: fix each finding, or skip it in the resource's Metadata with a reason:\n{}",
            template.display(),
            failed.join("\n")
        );
        assert_eq!(summary["parsing_errors"], 0, "checkov could not read {}", template.display());
        assert!(summary["passed"].as_u64() > Some(20), "checkov ran too few checks: {summary}");
        assert!(output.status.success(), "checkov exited with {}", output.status);
    }
}

#[test]
fn access_logs_are_json_lines_without_identity_ids() {
    let template = template();
    let formats = [
        &resource(&template, "WebSocketStage")["Properties"]["AccessLogSettings"]["Format"],
        &resource(&template, "ChatHttpApi")["Properties"]["AccessLogSettings"]["Format"],
    ];
    for format in formats {
        let format = format.as_str().unwrap();
        let fields: Map<String, Value> =
            serde_json::from_str(format).unwrap_or_else(|e| panic!("not a JSON object ({e}): {format}"));
        assert!(fields.contains_key("requestId"), "{format}");
        for (field, value) in fields {
            let variable = value.as_str().and_then(|v| v.strip_prefix("$context.")).unwrap_or_default();
            assert!(!variable.is_empty(), "{field} is not one $context variable: {value}");
            if let Some(identity) = variable.strip_prefix("identity.") {
                assert!(["sourceIp", "userAgent"].contains(&identity), "{field} logs $context.{variable}");
            }
            for secret in ["authorizer", "querystring", "path", "cognito", "principal"] {
                assert!(!variable.to_ascii_lowercase().contains(secret), "{field} logs $context.{variable}");
            }
        }
    }
}

/// Reads a Lambda's config from an environment; answers the variable names it asked for.
type NamesRead = dyn Fn(&BTreeMap<String, String>) -> BTreeSet<String>;

#[test]
fn each_lambdas_environment_is_exactly_what_its_config_reads() {
    let template = template();
    for switches in ALL_SWITCHES {
        let checks: [(&str, bool, &NamesRead); 4] = [
            ("WsConnectFunction", switches.streaming, &|vars| {
                names_read(vars, |lookup| ConnectConfig::from_lookup(|name: &str| lookup(name)))
            }),
            ("LexFulfillmentFunction", true, &|vars| {
                names_read(vars, |lookup| FulfillmentConfig::from_lookup(|name: &str| lookup(name)))
            }),
            ("AnswerWorkerFunction", switches.streaming && switches.long_answers, &|vars| {
                names_read(vars, |lookup| FulfillmentConfig::from_lookup(|name: &str| lookup(name)))
            }),
            ("AppSyncChatFunction", switches.appsync, &|vars| {
                names_read(vars, |lookup| ChatConfig::from_lookup(|name: &str| lookup(name)))
            }),
        ];
        for (function, deployed, read) in checks {
            if !deployed {
                continue;
            }
            let variables = environment(&template, function, switches);
            let mut read_names = read(&variables);
            // Every function also reads its log hash key at cold start (`logging::init_json_logs`).
            read_names
                .extend(names_read(&variables, |lookup| LogHashKey::from_lookup(&|name: &str| lookup(name))));
            for name in variables.keys() {
                assert!(
                    read_names.contains(name),
                    "{function} sets {name}, which the code never reads ({switches:?})"
                );
            }
        }
    }
}

#[test]
fn the_table_and_routes_are_the_ones_the_code_uses() {
    let template = template();
    let table = &resource(&template, "ConnectionsTable")["Properties"];
    assert_eq!(table["KeySchema"][0]["AttributeName"], dynamodb::KEY);
    assert_eq!(table["KeySchema"].as_array().unwrap().len(), 1, "the code uses a hash key only");
    assert_eq!(table["TimeToLiveSpecification"]["AttributeName"], dynamodb::TTL);
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(table["SSESpecification"]["SSEEnabled"], true);

    let route_keys: BTreeSet<&str> = template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::ApiGatewayV2::Route")
        .map(|r| r["Properties"]["RouteKey"].as_str().unwrap())
        .collect();
    assert_eq!(route_keys, routes::ALL.iter().copied().collect::<BTreeSet<_>>());
    let connect = template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["Properties"]["RouteKey"] == routes::CONNECT)
        .unwrap();
    assert_eq!(
        connect["Properties"]["AuthorizationType"], "AWS_IAM",
        "ws-connect binds sessions to IAM identities"
    );
}

#[test]
fn ws_connect_may_post_only_to_its_own_apis_connections() {
    let template = template();
    let switches = Switches { streaming: true, sample_bot: true, appsync: false, long_answers: false };
    let evaluator = Evaluator { template: &template, switches };
    let Evaluated::Value(policies) =
        evaluator.eval(&resource(&template, "WsConnectFunction")["Properties"]["Policies"])
    else {
        panic!("ws-connect has no policies")
    };
    let manage: Vec<&Value> = policies
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|policy| policy["Statement"].as_array().unwrap())
        .filter(|statement| statement["Action"].to_string().contains("execute-api:"))
        .collect();
    assert_eq!(manage.len(), 1, "{manage:?}");
    assert_eq!(manage[0]["Action"], serde_json::json!(["execute-api:ManageConnections"]));
    // `resume` answers with POST @connections/{id} on the stage its events come from.
    assert_eq!(
        evaluator.string(&manage[0]["Resource"]),
        format!("arn:aws:execute-api:{REGION}:123456789012:ref-WebSocketApi/Prod/POST/@connections/*")
    );
}

#[test]
fn the_widget_config_output_is_valid_and_names_what_the_lambdas_accept() {
    let template = template();
    for switches in ALL_SWITCHES {
        let evaluator = Evaluator { template: &template, switches };
        let text = evaluator.string(&template["Outputs"]["WidgetConfig"]["Value"]);
        let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{switches:?}: {e}\n{text}"));
        let config = WidgetConfig::from_json(&json, "https://www.example.com")
            .unwrap_or_else(|e| panic!("{switches:?}: {e}\n{text}"));
        assert_eq!(config.region, REGION);
        assert_eq!(config.streaming, switches.streaming || switches.appsync, "{text}");

        // The fulfillment streams only to the table and endpoint it is configured with; the
        // widget sends the ones the output names, so they must be the same.
        let fulfillment = environment(&template, "LexFulfillmentFunction", switches);
        assert_eq!(fulfillment.get("STREAMING_ENDPOINT"), config.websocket_url.as_ref(), "{switches:?}");
        assert_eq!(fulfillment.get("STREAMING_TABLE"), config.streaming_table.as_ref(), "{switches:?}");

        if let Some(appsync) = &config.appsync {
            let chat = environment(&template, "AppSyncChatFunction", switches);
            assert_eq!(chat.get("APPSYNC_HTTP_ENDPOINT"), Some(&appsync.http_endpoint));
            assert_eq!(chat.get("APPSYNC_NAMESPACE"), Some(&appsync.namespace));
            assert!(appsync.chat_endpoint.ends_with("/chat"));
        } else {
            assert!(!switches.appsync, "{text}");
        }
    }
}

#[test]
fn the_deployed_on_subscribe_rule_decides_like_the_code() {
    let template = template();
    let code = resource(&template, "EventNamespaceResource")["Properties"]["CodeHandlers"].as_str().unwrap();
    let identity = "eu-west-1:0b6f41aa-1111-2222-3333-444455556666";
    let cases = [
        "/chat/0b6f41aa-1111-2222-3333-444455556666",
        "/chat/someone-else",
        "/chat/*",
        "/chat/0b6f41aa-1111-2222-3333-444455556666/*",
        "/other/0b6f41aa-1111-2222-3333-444455556666",
    ];
    // The handler as AppSync would run it, with `util.unauthorized()` throwing.
    let handler = code.replace(
        "import { util } from '@aws-appsync/utils';",
        "const util = { unauthorized() { throw new Error('Unauthorized'); } };",
    );
    let driver = format!(
        "{handler}\nconst cases = {cases};\nfor (const path of cases) {{\n  try {{\n    onSubscribe({{ identity: {{ cognitoIdentityId: {identity:?} }}, info: {{ channel: {{ path }}, channelNamespace: {{ name: 'chat' }} }} }});\n    console.log('allowed');\n  }} catch (e) {{ console.log('refused'); }}\n}}\ntry {{ onSubscribe({{ identity: null, info: {{ channel: {{ path: cases[0] }}, channelNamespace: {{ name: 'chat' }} }} }}); console.log('allowed'); }} catch (e) {{ console.log('refused'); }}\n",
        cases = serde_json::to_string(&cases).unwrap()
    );
    let script = std::env::temp_dir().join(format!("lexstream-on-subscribe-{}.mjs", std::process::id()));
    std::fs::write(&script, driver).unwrap();
    let output = Command::new("node").arg(&script).output().unwrap();
    let _ = std::fs::remove_file(&script);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let decisions: Vec<bool> =
        String::from_utf8_lossy(&output.stdout).lines().map(|line| line == "allowed").collect();
    let expected: Vec<bool> =
        cases.iter().map(|path| check_own_channel("chat", identity, path).is_ok()).collect();
    assert_eq!(
        &decisions[..cases.len()],
        expected.as_slice(),
        "the template's onSubscribe and the devstack disagree"
    );
    assert_eq!(decisions.last(), Some(&false), "a caller without an identity is refused");
}

#[test]
fn the_per_visitor_limits_come_from_parameters_whose_defaults_are_the_codes() {
    let template = template();
    let limits = [
        ("AnswersPerVisitorPerMinute", DEFAULT_ANSWERS_PER_IDENTITY_PER_MINUTE),
        ("ConnectsPerVisitorPerMinute", DEFAULT_CONNECTS_PER_IDENTITY_PER_MINUTE),
    ];
    for (parameter, default) in limits {
        let declared = &template["Parameters"][parameter];
        assert_eq!(declared["Type"], "Number", "{parameter}");
        assert_eq!(declared["Default"].to_string().trim_matches('"'), default.to_string(), "{parameter}");
        assert_eq!(declared["MinValue"].to_string().trim_matches('"'), "0", "{parameter}: 0 turns it off");
    }
    for switches in ALL_SWITCHES.into_iter().filter(|switches| switches.streaming) {
        let connect = environment(&template, "WsConnectFunction", switches);
        let config = ConnectConfig::from_lookup(|name: &str| connect.get(name).cloned()).unwrap();
        assert!(connect.contains_key("CONNECTS_PER_IDENTITY_PER_MINUTE"), "{switches:?}");
        assert_eq!(config.connects_per_minute, DEFAULT_CONNECTS_PER_IDENTITY_PER_MINUTE, "{switches:?}");
        let fulfillment = environment(&template, "LexFulfillmentFunction", switches);
        let config = FulfillmentConfig::from_lookup(|name: &str| fulfillment.get(name).cloned()).unwrap();
        assert!(fulfillment.contains_key("ANSWERS_PER_IDENTITY_PER_MINUTE"), "{switches:?}");
        assert_eq!(config.answers_per_minute, DEFAULT_ANSWERS_PER_IDENTITY_PER_MINUTE, "{switches:?}");
        if switches.appsync {
            // `/chat` answers count in the same table, against the same limit.
            let chat = environment(&template, "AppSyncChatFunction", switches);
            let config = ChatConfig::from_lookup(|name: &str| chat.get(name).cloned()).unwrap();
            assert_eq!(config.limits_table, fulfillment.get("STREAMING_TABLE").cloned(), "{switches:?}");
            assert_eq!(config.answers_per_minute, DEFAULT_ANSWERS_PER_IDENTITY_PER_MINUTE, "{switches:?}");
        }
    }
}

/// Whether `value` matches an IAM `StringLike` pattern of the forms the template uses (`prefix*`
/// or a literal).
fn string_like(pattern: &str, value: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => {
            assert!(!prefix.contains(['*', '?']), "a pattern form this test does not read: {pattern}");
            value.starts_with(prefix)
        }
        None => pattern == value,
    }
}

/// Whether `function`'s policies (under `switches`) allow `action` on the connection table item
/// keyed `key`.
fn table_item_allowed(template: &Value, function: &str, switches: Switches, action: &str, key: &str) -> bool {
    let evaluator = Evaluator { template, switches };
    let policies = resource(template, function)["Properties"]["Policies"].as_array().unwrap();
    policies
        .iter()
        .filter_map(|policy| match evaluator.eval(policy) {
            Evaluated::Value(policy) => Some(policy),
            Evaluated::NoValue => None,
        })
        .flat_map(|policy| policy["Statement"].as_array().cloned().unwrap_or_default())
        .filter(|statement| statement["Effect"] == "Allow")
        .filter(|statement| statement["Action"].as_array().unwrap().iter().any(|a| a == action))
        .filter(|statement| evaluator.string(&statement["Resource"]) == "ConnectionsTable-Arn")
        .any(|statement| match statement.get("Condition") {
            None => true,
            Some(condition) => {
                let like = condition.as_object().unwrap();
                assert_eq!(like.len(), 1, "a condition this test does not read: {condition}");
                let patterns = like["ForAllValues:StringLike"]["dynamodb:LeadingKeys"].as_array().unwrap();
                patterns.iter().any(|pattern| string_like(pattern.as_str().unwrap(), key))
            }
        })
}

#[test]
fn every_table_item_the_lambdas_write_is_allowed_and_nothing_more() {
    use lexstream_lambda_core::turns::{history_key, turn_key};
    use lexstream_lambda_core::visitor_limits::in_flight_key;
    use lexstream_lambda_core::visitor_limits::rate::{RateKind, rate_key};

    let template = template();
    let switches = Switches { streaming: true, sample_bot: true, appsync: true, long_answers: true };
    let session = "us-east-1:7f3c9a2e-5b1d-4c8e-9f00-2a6b4d1e8c37";
    let (turn, history, slot) = (turn_key(session, "t-1"), history_key(session), in_flight_key(session));
    let answers = rate_key(RateKind::Answers, session, 28_333_333);
    let connects = rate_key(RateKind::Connects, session, 28_333_333);
    let allowed = [
        ("LexFulfillmentFunction", "dynamodb:PutItem", &turn),
        ("LexFulfillmentFunction", "dynamodb:PutItem", &history),
        ("LexFulfillmentFunction", "dynamodb:PutItem", &slot),
        ("LexFulfillmentFunction", "dynamodb:DeleteItem", &slot),
        ("LexFulfillmentFunction", "dynamodb:UpdateItem", &answers),
        ("AnswerWorkerFunction", "dynamodb:PutItem", &turn),
        ("AnswerWorkerFunction", "dynamodb:PutItem", &history),
        ("AnswerWorkerFunction", "dynamodb:DeleteItem", &slot),
        ("WsConnectFunction", "dynamodb:UpdateItem", &connects),
        ("AppSyncChatFunction", "dynamodb:UpdateItem", &answers),
        ("AppSyncChatFunction", "dynamodb:GetItem", &answers),
    ];
    for (function, action, key) in allowed {
        assert!(table_item_allowed(&template, function, switches, action, key), "{function} {action} {key}");
    }
    // The answering Lambdas can never write or delete a session's connection row, nor
    // ws-connect update anything but its counters.
    let refused = [
        ("LexFulfillmentFunction", "dynamodb:PutItem"),
        ("LexFulfillmentFunction", "dynamodb:DeleteItem"),
        ("LexFulfillmentFunction", "dynamodb:UpdateItem"),
        ("AnswerWorkerFunction", "dynamodb:PutItem"),
        ("AnswerWorkerFunction", "dynamodb:DeleteItem"),
        ("WsConnectFunction", "dynamodb:UpdateItem"),
        ("AppSyncChatFunction", "dynamodb:UpdateItem"),
        ("AppSyncChatFunction", "dynamodb:GetItem"),
    ];
    for (function, action) in refused {
        assert!(!table_item_allowed(&template, function, switches, action, session), "{function} {action}");
    }
}
