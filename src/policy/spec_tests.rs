//! Runs the specification tables in `tests/policy_spec/*.json`.
//!
//! Each evaluation case gives policies (by layer), a request and the expected decision, and
//! optionally the deciding statements (`policy#Sid` or `policy#index`) and a reason substring.
//! Each parse case gives a policy and either `"ok": true` or an expected error substring.
//! See `tests/policy_spec/README.md` for the format.

use serde_json::Value;

use super::*;

/// Cases in the evaluation tables: decisions, and static-access cases.
pub const DECISION_CASES: usize = 350;
pub const ACCESS_CASES: usize = 19;

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

/// Every case of every table, in the line format of `trailtrim eval` (file, case).
pub fn table_cases() -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for (file, text) in EVAL_FILES {
        let cases = case::expand_table(text).unwrap_or_else(|e| panic!("{file}: {e}"));
        out.extend(cases.into_iter().map(|c| (file, c)));
    }
    out
}

#[test]
fn specification_tables() {
    let mut failures = Vec::new();
    let (mut decisions, mut accesses) = (0, 0);
    for (file, mut raw) in table_cases() {
        let access = case::split_access(&mut raw);
        let case: case::Case = serde_json::from_value(raw).unwrap_or_else(|e| panic!("{file}: {e}"));
        let id = format!("{file}:{}", case.id.as_str().expect("case id"));
        decisions += usize::from(access.is_none());
        let expectation = case.expectation();
        let set = match case.policies() {
            Ok(set) => set,
            Err(e) => {
                failures.extend(expectation.refusal_mismatches(&e).into_iter().map(|m| format!("{id}: {m}")));
                continue;
            }
        };
        if let Some(access) = access {
            accesses += 1;
            let who = PrincipalInfo { arn: case.request.principal.clone(), account: None };
            let index = AccessIndex::new(&set, &who);
            for (action, want) in access {
                let got = index.access(&action).as_str();
                let single = action_access(&set, &action, &who).as_str();
                if got != want || single != got {
                    failures.push(format!("{id}: access({action}) = {got}, expected {want}"));
                }
            }
            continue;
        }
        assert!(expectation.expect.is_some() || expectation.error.is_some(), "{id}: no expected decision");
        let ev = evaluate(&set, &case.request);
        failures.extend(expectation.mismatches(&ev).into_iter().map(|m| format!("{id}: {m}")));
    }
    // The tables' size: a case lost by a loader change shows here.
    assert_eq!((decisions, accesses), (DECISION_CASES, ACCESS_CASES));
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n"));
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
