//! Runs the specification tables in `tests/policy_spec/*.json`.
//!
//! Each evaluation case gives policies (by layer), a request and the expected decision, and
//! optionally the deciding statements (`policy#Sid` or `policy#index`) and a reason substring.
//! Each parse case gives a policy and either `"ok": true` or an expected error substring.
//! See `tests/policy_spec/README.md` for the format.

use serde_json::Value;

use super::*;

const EVAL_FILES: [(&str, &str); 7] = [
    ("evaluation.json", include_str!("../../tests/policy_spec/evaluation.json")),
    ("conditions.json", include_str!("../../tests/policy_spec/conditions.json")),
    ("matching.json", include_str!("../../tests/policy_spec/matching.json")),
    ("variables.json", include_str!("../../tests/policy_spec/variables.json")),
    ("principals.json", include_str!("../../tests/policy_spec/principals.json")),
    ("access.json", include_str!("../../tests/policy_spec/access.json")),
    ("fidelity.json", include_str!("../../tests/policy_spec/fidelity.json")),
];
const PARSE_FILE: &str = include_str!("../../tests/policy_spec/parse_errors.json");

/// A policy entry: a full document (`Statement`), a named one (`name` + `document`, optional
/// `kind`), or a bare statement wrapped into a 2012-10-17 document.
fn load_policy(v: &Value, default_name: String, kind: PolicyKind) -> NamedPolicy {
    let (name, doc, kind) = if let Some(doc) = v.get("document") {
        let name = v["name"].as_str().map(str::to_string).unwrap_or(default_name);
        let kind = match v.get("kind").and_then(Value::as_str) {
            Some("Trust") => PolicyKind::Trust,
            Some("Resource") => PolicyKind::Resource,
            _ => kind,
        };
        (name, doc.clone(), kind)
    } else if v.get("Statement").is_some() {
        (default_name, v.clone(), kind)
    } else {
        (default_name, serde_json::json!({"Version": "2012-10-17", "Statement": [v]}), kind)
    };
    let policy = parse_policy(&doc).unwrap_or_else(|e| panic!("policy {name} does not parse: {e}"));
    NamedPolicy { name, kind, policy }
}

fn load_list(case: &Value, key: &str, prefix: &str, kind: PolicyKind) -> Vec<NamedPolicy> {
    match case.get(key) {
        None => Vec::new(),
        Some(Value::Array(a)) => {
            a.iter().enumerate().map(|(i, p)| load_policy(p, format!("{prefix}{i}"), kind)).collect()
        }
        Some(one) => vec![load_policy(one, format!("{prefix}0"), kind)],
    }
}

/// Organisation levels (`scps`, `rcps`): a list of levels, each a policy or a list.
fn load_levels(case: &Value, key: &str, prefix: &str, kind: PolicyKind) -> Vec<Vec<NamedPolicy>> {
    match case.get(key) {
        None => Vec::new(),
        Some(levels) => levels
            .as_array()
            .unwrap_or_else(|| panic!("{key} is a list of levels"))
            .iter()
            .enumerate()
            .map(|(l, level)| match level {
                Value::Array(ps) => {
                    ps.iter().enumerate().map(|(i, p)| load_policy(p, format!("{prefix}{}-{i}", l + 1), kind)).collect()
                }
                one => vec![load_policy(one, format!("{prefix}{}-0", l + 1), kind)],
            })
            .collect(),
    }
}

fn load_set(case: &Value) -> PolicySet {
    let scps = load_levels(case, "scps", "scp", PolicyKind::Scp);
    // Shorthand: `condition` alone means one identity statement allowing the request's action
    // on any resource under that condition.
    let identity = match (case.get("identity"), case.get("condition")) {
        (None, Some(c)) => {
            let st =
                serde_json::json!({"Sid": "Cond", "Effect": "Allow", "Action": "*", "Resource": "*", "Condition": c});
            vec![load_policy(&st, "identity0".into(), PolicyKind::Identity)]
        }
        _ => load_list(case, "identity", "identity", PolicyKind::Identity),
    };
    PolicySet {
        identity,
        boundaries: load_list(case, "boundaries", "boundary", PolicyKind::PermissionBoundary),
        scps,
        resource_policy: case.get("resource_policy").map(|p| load_policy(p, "resource".into(), PolicyKind::Resource)),
        session_policies: load_list(case, "session", "session", PolicyKind::Session),
        rcps: load_levels(case, "rcps", "rcp", PolicyKind::Rcp),
        unresolved: case
            .get("unresolved")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|u| {
                        let kind = match u["kind"].as_str() {
                            Some("PermissionBoundary") => PolicyKind::PermissionBoundary,
                            _ => PolicyKind::Identity,
                        };
                        (u["arn"].as_str().expect("unresolved arn").to_string(), kind)
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn load_request(defaults: &Value, case: &Value) -> Request {
    let mut merged = defaults.as_object().cloned().unwrap_or_default();
    if let Some(Value::Object(r)) = case.get("request") {
        for (k, v) in r {
            merged.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(Value::Object(merged)).expect("request parses")
}

#[test]
fn specification_tables() {
    let mut failures = Vec::new();
    let mut count = 0;
    for (file, text) in EVAL_FILES {
        let spec: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let defaults = spec.get("defaults").cloned().unwrap_or(Value::Null);
        for case in spec["cases"].as_array().expect("cases") {
            count += 1;
            let id = format!("{file}:{}", case["id"].as_str().expect("case id"));
            let set = load_set(case);
            if let Some(accesses) = case.get("access") {
                let who = PrincipalInfo {
                    arn: defaults["principal"].as_str().unwrap_or_default().to_string(),
                    account: None,
                };
                let index = AccessIndex::new(&set, &who);
                for (action, want) in accesses.as_object().expect("access map") {
                    let got = index.access(action).as_str();
                    let single = action_access(&set, action, &who).as_str();
                    if got != want.as_str().unwrap() || single != got {
                        failures.push(format!("{id}: access({action}) = {got}, expected {want}"));
                    }
                }
                continue;
            }
            let req = load_request(&defaults, case);
            let ev = evaluate(&set, &req);
            let want = case["expect"].as_str().expect("expect");
            if ev.decision.as_str() != want {
                failures.push(format!("{id}: got {} ({}), expected {want}", ev.decision.as_str(), ev.reason));
                continue;
            }
            if let Some(stmts) = case.get("statements") {
                let mut want: Vec<String> =
                    stmts.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
                let mut got: Vec<String> = ev.statements.iter().map(|s| s.to_string()).collect();
                want.sort();
                got.sort();
                if want != got {
                    failures.push(format!("{id}: statements {got:?}, expected {want:?}"));
                }
            }
            if let Some(layer) = case.get("layer").and_then(Value::as_str) {
                if ev.layer != Some(layer) {
                    failures.push(format!("{id}: layer {:?}, expected {layer}", ev.layer));
                }
            }
            if let Some(r) = case.get("reason").and_then(Value::as_str) {
                if !ev.reason.contains(r) {
                    failures.push(format!("{id}: reason \"{}\" lacks \"{r}\"", ev.reason));
                }
            }
        }
    }
    assert!(count >= 120, "only {count} cases");
    assert!(failures.is_empty(), "{} of {count} cases failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn parse_error_table() {
    let spec: Value = serde_json::from_str(PARSE_FILE).expect("parse_errors.json");
    let mut failures = Vec::new();
    for case in spec["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let res = parse_policy(&case["policy"]);
        // `invalid` / `warning`: the policy parses and `validate` reports that problem.
        for (key, severity) in [("invalid", Severity::Error), ("warning", Severity::Warning)] {
            let Some(want) = case.get(key).and_then(Value::as_str) else { continue };
            let kind = match case.get("kind").and_then(Value::as_str) {
                Some("Resource") => PolicyKind::Resource,
                _ => PolicyKind::Identity,
            };
            match &res {
                Ok(p) => {
                    let problems = validate(p, kind);
                    if !problems.iter().any(|pr| pr.severity == severity && pr.message.contains(want)) {
                        failures.push(format!("{id}: validate gave {problems:?}, expected {key} \"{want}\""));
                    }
                }
                Err(e) => failures.push(format!("{id}: does not parse ({e}), expected it to be {key}")),
            }
        }
        match (res, case.get("error").and_then(Value::as_str)) {
            (Ok(_), None) => {}
            (Ok(_), Some(e)) => failures.push(format!("{id}: parsed, expected error containing \"{e}\"")),
            (Err(err), Some(e)) => {
                let msg = err.to_string();
                if !msg.contains(e) {
                    failures.push(format!("{id}: error \"{msg}\" lacks \"{e}\""));
                }
            }
            (Err(err), None) => failures.push(format!("{id}: unexpected error {err}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn statement_error_names_index_and_sid() {
    let doc = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Sid": "Broken", "Effect": "Allow", "Action": "s3:GetObject", "NotAction": "s3:PutObject", "Resource": "*"}
    ]});
    let err = parse_policy(&doc).unwrap_err();
    assert_eq!(
        err,
        PolicyError::Statement { index: 1, sid: Some("Broken".into()), reason: "both Action and NotAction".into() }
    );
    assert_eq!(err.to_string(), "statement 1 (Sid \"Broken\"): both Action and NotAction");
    let err = Policy::from_json_str("{\"Statement\": [").unwrap_err();
    assert!(matches!(err, PolicyError::Json(_)));
}

#[test]
fn canonical_json_round_trip() {
    let text = r#"{"Version":"2012-10-17","Id":"x","Statement":{"Sid":"A","Effect":"Allow",
        "Principal":{"AWS":["arn:aws:iam::111122223333:root"]},
        "Action":["s3:PutObject","s3:GetObject","s3:GetObject"],"Resource":["arn:aws:s3:::b/*"],
        "Condition":{"StringEquals":{"aws:PrincipalTag/team":["b","a"]},"Bool":{"aws:SecureTransport":true}}}}"#;
    let p = Policy::from_json_str(text).unwrap();
    let j = p.to_json();
    let expected = serde_json::json!({"Id": "x", "Statement": [{
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Condition": {"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:PrincipalTag/team": ["a", "b"]}},
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Resource": "arn:aws:s3:::b/*",
        "Sid": "A"}], "Version": "2012-10-17"});
    assert_eq!(j, expected);
    // Re-parsing the canonical form gives the same canonical form.
    let again = parse_policy(&j).unwrap();
    assert_eq!(again.to_json(), j);
    // Keys are emitted sorted.
    let s = serde_json::to_string(&j).unwrap();
    assert!(s.starts_with("{\"Id\""), "{s}");
}

#[test]
fn statement_helpers() {
    let p = Policy::from_json_str(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"},
            {"Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:s3:::secret/*"}]}"#,
    )
    .unwrap();
    let (a, b) = (&p.statements[0], &p.statements[1]);
    assert!(a.matches_action("S3:GETOBJECT"));
    assert!(!a.matches_action("s3:PutObject"));
    assert!(a.matches_resource("arn:aws:s3:::b/k"));
    assert!(!a.matches_resource("arn:aws:s3:::c/k"));
    assert!(b.matches_action("s3:PutObject"));
    assert!(!b.matches_action("iam:CreateUser"));
    assert!(b.matches_resource("arn:aws:s3:::public/x"));
    assert!(!b.matches_resource("arn:aws:s3:::secret/x"));
    assert_eq!(a.actions(), vec!["s3:Get*"]);
    assert_eq!(b.resources(), vec!["arn:aws:s3:::secret/*"]);
}

#[test]
fn allow_lists_every_allowing_statement_and_matching_statements() {
    let set = PolicySet {
        identity: vec![
            NamedPolicy::new(
                "a",
                PolicyKind::Identity,
                Policy::from_json_str(
                    r#"{"Version":"2012-10-17","Statement":[
                    {"Sid":"One","Effect":"Allow","Action":"s3:*","Resource":"*"},
                    {"Sid":"Two","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
                    {"Sid":"Other","Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#,
                )
                .unwrap(),
            ),
            NamedPolicy::new(
                "b",
                PolicyKind::Identity,
                Policy::from_json_str(r#"{"Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}"#)
                    .unwrap(),
            ),
        ],
        ..PolicySet::default()
    };
    let req = Request {
        principal: "arn:aws:iam::111122223333:user/alice".into(),
        action: "s3:GetObject".into(),
        resource: "arn:aws:s3:::b/k".into(),
        ..Request::default()
    };
    let ev = evaluate(&set, &req);
    assert_eq!(ev.decision, Decision::Allow);
    let names: Vec<String> = ev.statements.iter().map(|s| s.to_string()).collect();
    assert_eq!(names, vec!["a#One", "a#Two", "b#0"]);
    let m = matching_statements(&set, &req);
    assert_eq!(m.len(), 3);
    assert!(m.iter().all(|(_, e)| *e == Effect::Allow));
    let json = serde_json::to_value(&ev).unwrap();
    assert_eq!(json["decision"], "Allow");
    assert_eq!(json["statements"][0]["kind"], "Identity");
    assert_eq!(Decision::ImplicitDeny.as_str(), "ImplicitDeny");
    assert_eq!(Effect::Deny.as_str(), "Deny");
}
