//! The rule table's loader and condition interpreter (the rules themselves: `tests.rs`).

use serde_json::json;

use super::*;

fn event(source: &str, name: &str) -> Event {
    Event { event_source: source.into(), event_name: name.into(), ..Default::default() }
}

fn cond(yaml: &str) -> Cond {
    compile(serde_yaml_ng::from_str(yaml).expect("test condition is YAML")).expect("test condition compiles")
}

fn holds(yaml: &str, e: &Event) -> bool {
    let env = RuleEnv::default();
    cond(yaml).eval(&RuleInput::new(e, &env))
}

const RULE: &str = "- id: t.one\n  family: test\n  severity: medium\n  mitre: T1\n  description: d\n  calls: [{source: s3.amazonaws.com, names: [PutObject]}]\n  on_error: exclude\n  summary: s\n";

fn load_err(yaml: &str) -> String {
    match load(yaml) {
        Ok(rules) => panic!("loaded {} rule(s) from a bad table", rules.len()),
        Err(e) => e,
    }
}

#[test]
fn the_shipped_table_loads() {
    let rules = rules();
    assert_eq!(rules.len(), 37);
    let ids: BTreeSet<&str> = rules.iter().map(|r| r.info.id).collect();
    assert_eq!(ids.len(), 37);
    let root = rules.iter().find(|r| r.info.id == "root.console-login").unwrap();
    assert_eq!((root.info.severity, root.info.mitre, root.on_error), (Severity::High, "T1078.004", OnError::Exclude));
    assert_eq!(root.identity_types, vec!["Root".to_string()]);
    assert!(root.when.is_some() && root.escalate.is_some());
    let any_call = rules.iter().find(|r| r.info.id == "root.activity").unwrap();
    assert!(any_call.calls.len() == 1 && any_call.calls[0].source.is_none() && any_call.calls[0].names.is_empty());
}

#[test]
fn a_minimal_rule_loads_with_defaults() {
    let rules = load(RULE).unwrap();
    assert_eq!(rules.len(), 1);
    let r = &rules[0];
    assert_eq!((r.info.id, r.info.severity, r.on_error), ("t.one", Severity::Medium, OnError::Exclude));
    assert_eq!(r.calls[0].source.as_deref(), Some("s3.amazonaws.com"));
    assert!(r.when.is_none() && r.escalate.is_none() && r.target_keys.is_empty() && r.identity_types.is_empty());
    assert!(!r.routine_if_in_baseline && !r.one_per_principal);
}

#[test]
fn a_bad_table_is_an_error_naming_the_rule_and_the_reason() {
    let cases = [
        (RULE.replace("medium", "severe"), "rule 1 (t.one): unknown severity \"severe\""),
        (RULE.replace("exclude", "skip"), "rule 1 (t.one): unknown on_error \"skip\""),
        (format!("{RULE}  when: {{check: nope}}\n"), "rule 1 (t.one): when: unknown check \"nope\""),
        (
            format!("{RULE}  escalate: {{field: userIdentity.type, equals: Root}}\n"),
            "rule 1 (t.one): escalate: unknown field \"userIdentity.type\"",
        ),
        (
            format!("{RULE}  when: {{field: eventName}}\n"),
            "field \"eventName\" needs exactly one of equals, equals_cased, in_cased, exists",
        ),
        (
            format!("{RULE}  when: {{field: eventName, equals: A, exists: true}}\n"),
            "field \"eventName\" needs exactly one of equals",
        ),
        (
            format!("{RULE}  when: {{check: own_request, field: eventName, exists: true}}\n"),
            "a condition needs exactly one of all, any, not, check, field",
        ),
        (format!("{RULE}  when: {{exists: true}}\n"), "a condition needs exactly one of"),
        (format!("{RULE}{}", RULE.replace("- id", "\n- id")), "rule 2 (t.one): duplicate id"),
        (RULE.replace("[{source: s3.amazonaws.com, names: [PutObject]}]", "[]"), "rule 1 (t.one): no calls"),
    ];
    for (yaml, want) in cases {
        let err = load_err(&yaml);
        assert!(err.contains(want), "{err:?} does not contain {want:?}");
    }
    // A misspelt key is refused, not ignored.
    let err = load_err(&format!("{RULE}  one_per_principle: true\n"));
    assert!(err.contains("unknown field `one_per_principle`"), "{err}");
    let err = load_err(&format!("{RULE}  when: {{field: eventName, equal: A}}\n"));
    assert!(err.contains("unknown field `equal`"), "{err}");
}

#[test]
fn field_tests() {
    let mut e = event("lambda.amazonaws.com", "UpdateFunctionCode20150331v2");
    e.request_parameters = Some(json!({"Attribute": "USERDATA", "enable": false, "outer": {"inner": "x"}}).to_string());
    e.event_type = Some("AwsApiCall".into());
    // eventName is the name without Lambda's API-version suffix.
    assert!(holds("{field: eventName, equals_cased: UpdateFunctionCode}", &e));
    assert!(holds("{field: eventName, in_cased: [PublishLayerVersion, UpdateFunctionCode]}", &e));
    assert!(!holds("{field: eventName, equals_cased: updatefunctioncode}", &e));
    assert!(holds("{field: eventName, equals: updatefunctioncode}", &e));
    assert!(holds("{field: eventSource, equals_cased: lambda.amazonaws.com}", &e));
    assert!(!holds("{field: eventType, in_cased: [AwsServiceEvent]}", &e));
    // JSON keys: exact, else ignoring case; strings compared ignoring case unless cased.
    assert!(holds("{field: requestParameters.attribute, equals: userData}", &e));
    assert!(!holds("{field: requestParameters.attribute, equals_cased: userData}", &e));
    assert!(holds("{field: requestParameters.outer.inner, equals_cased: x}", &e));
    // Other JSON values compare exactly: the bool false, not the string "false".
    assert!(holds("{field: requestParameters.enable, equals: false}", &e));
    assert!(!holds("{field: requestParameters.enable, equals: 'false'}", &e));
    assert!(holds("{field: requestParameters.enable, exists: true}", &e));
    assert!(holds("{field: requestParameters.missing, exists: false}", &e));
    // A column the event does not have: nothing exists in it.
    assert!(holds("{field: responseElements.ConsoleLogin, exists: false}", &e));
    assert!(!holds("{field: responseElements.ConsoleLogin, equals: Success}", &e));
    assert!(holds("{field: failed, equals: false}", &e));
    e.error_code = Some("AccessDenied".into());
    assert!(holds("{field: failed, equals: true}", &e));
}

#[test]
fn combinators_and_checks() {
    let mut e = event("ec2.amazonaws.com", "DescribeInstanceAttribute");
    e.request_parameters = Some(json!({"attribute": "userData"}).to_string());
    e.source_ip = Some("198.51.100.7".into());
    let own_and_user_data = "all: [{check: own_request}, {field: requestParameters.attribute, equals: userData}]";
    assert!(holds(own_and_user_data, &e));
    assert!(holds("any: [{field: eventName, equals_cased: X}, {check: own_request}]", &e));
    assert!(!holds("not: {check: own_request}", &e));
    assert!(holds("all: []", &e) && !holds("any: []", &e));
    // Made by a service for the caller: not its own request.
    e.invoked_by = Some("cloudformation.amazonaws.com".into());
    assert!(!holds(own_and_user_data, &e));
}
