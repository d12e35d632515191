//! `trailtrim eval --cases FILE|-`: batch evaluation, one JSON case per line, one result per line.
//! `--validate` checks the policies of each case instead; `--iam` fills the principal's context
//! keys (`aws:userid`, `aws:PrincipalArn` with the role's path, tags) from the account model.

use super::Status;
use crate::account::{Account, LoadOptions};
use crate::policy::case::Case;
use crate::policy::{evaluate, parse_policy, validate, Severity};
use anyhow::{Context as _, Result};
use clap::Args;
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A file of JSON lines, or - for standard input. A case may also say what it expects
    /// (`expect`, `statements`, `layer`, `reason`): its result then carries `ok` (and
    /// `mismatches`), and a case that fails makes the exit status 3. The format is the one of
    /// the specification tables (tests/policy_spec/README.md).
    #[arg(long)]
    pub cases: PathBuf,
    /// Check every policy of each case instead of deciding: one line per case,
    /// `{"id","valid","problems":[{"policy","severity","statement","sid","message"}]}`; a case
    /// with an invalid policy (a condition value its operator cannot read, a misplaced element)
    /// makes the exit status 3. Warnings (NotPrincipal with Allow) do not.
    #[arg(long)]
    pub validate: bool,
    /// Account authorization details: fills `aws:userid`, `aws:PrincipalArn` (with the role's
    /// path), `aws:PrincipalTag/*` of known principals where a case does not give them.
    #[arg(long)]
    pub iam: Option<PathBuf>,
}

/// `--validate`: every problem of every policy of the case.
fn validate_line(line: &str) -> Value {
    let raw: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return json!({"id": null, "error": format!("invalid JSON: {e}")}),
    };
    let id = raw.get("id").cloned().unwrap_or(Value::Null);
    let case: Case = match serde_json::from_value(raw) {
        Ok(c) => c,
        Err(e) => return json!({"id": id, "error": format!("invalid case: {e}")}),
    };
    let mut problems = Vec::new();
    for (name, kind, doc) in case.documents() {
        match parse_policy(&doc) {
            Ok(p) => problems.extend(validate(&p, kind).into_iter().map(|pr| {
                json!({"policy": name, "severity": pr.severity, "statement": pr.statement, "sid": pr.sid, "message": pr.message})
            })),
            Err(e) => problems.push(
                json!({"policy": name, "severity": Severity::Error, "statement": null, "sid": null, "message": e.to_string()}),
            ),
        }
    }
    let valid = !problems.iter().any(|p| p["severity"] == "error");
    json!({"id": case.id, "valid": valid, "problems": problems})
}

#[cfg(test)]
fn evaluate_line(line: &str) -> Value {
    evaluate_line_with(line, None)
}

fn evaluate_line_with(line: &str, account: Option<&Account>) -> Value {
    let raw: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return json!({"id": null, "error": format!("invalid JSON: {e}")}),
    };
    let id = raw.get("id").cloned().unwrap_or(Value::Null);
    let mut case: Case = match serde_json::from_value(raw) {
        Ok(c) => c,
        Err(e) => return json!({"id": id, "error": format!("invalid case: {e}")}),
    };
    if let Some(account) = account {
        // The case's own keys win over the model's.
        let mut context = account.base_context(&case.request.principal);
        for (k, v) in case.request.context.iter() {
            context.insert_multi(k, v.to_vec());
        }
        case.request.context = context;
    }
    match case.policies() {
        Ok(set) => {
            let ev = evaluate(&set, &case.request);
            let statements: Vec<Value> = ev
                .statements
                .iter()
                .map(|s| json!({"policy": s.policy, "kind": s.kind, "sid": s.sid, "index": s.index}))
                .collect();
            let mut out =
                json!({"id": case.id, "decision": ev.decision, "statements": statements, "reason": ev.reason});
            if let Some(layer) = ev.layer {
                out["layer"] = json!(layer);
            }
            // A case that says what it expects is checked: `ok` and, if not, how it differs.
            let expectation = case.expectation();
            if !expectation.is_empty() {
                let mismatches = expectation.mismatches(&ev);
                out["ok"] = json!(mismatches.is_empty());
                if !mismatches.is_empty() {
                    out["mismatches"] = json!(mismatches);
                }
            }
            out
        }
        Err(e) => {
            let mut out = json!({"id": case.id, "error": e});
            let expectation = case.expectation();
            if !expectation.is_empty() {
                let mismatches = expectation.refusal_mismatches(&e);
                out["ok"] = json!(mismatches.is_empty());
                if !mismatches.is_empty() {
                    out["mismatches"] = json!(mismatches);
                }
            }
            out
        }
    }
}

pub fn run(a: &EvalArgs) -> Result<Status> {
    let account = match &a.iam {
        Some(iam) => {
            let account = Account::load(&LoadOptions { iam: iam.clone(), ..LoadOptions::default() })?;
            for w in &account.warnings {
                eprintln!("trailtrim: warning: {w}");
            }
            Some(account)
        }
        None => None,
    };
    let input: Box<dyn BufRead> = if a.cases.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(&a.cases).with_context(|| format!("opening {}", a.cases.display()))?;
        Box::new(std::io::BufReader::new(f))
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut errors = 0usize;
    for line in input.lines() {
        let line = line.context("reading the cases")?;
        if line.trim().is_empty() {
            continue;
        }
        let v = if a.validate { validate_line(&line) } else { evaluate_line_with(&line, account.as_ref()) };
        let failed = v.get("valid") == Some(&Value::Bool(false)) || v.get("ok") == Some(&Value::Bool(false));
        // An error the case expects (`"error"` in the case, `ok` true) is the right answer.
        let expected_error = v.get("ok") == Some(&Value::Bool(true));
        if (v.get("error").is_some() && !expected_error) || failed {
            errors += 1;
        }
        serde_json::to_writer(&mut out, &v)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(if errors > 0 { Status::Rejected } else { Status::Ok })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_a_case_line_and_reports_malformed_ones() {
        let line = r#"{"id":"c1","request":{"principal":"arn:aws:iam::111122223333:user/alice","action":"s3:GetObject","resource":"arn:aws:s3:::bucket/key","resource_account":"111122223333","context":{"aws:SourceIp":"10.1.2.3","s3:prefix":["a/","b/"]}},"identity_policies":[{"name":"p1","document":{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::bucket/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}}]}"#;
        let v = evaluate_line(line);
        assert_eq!(v["id"], "c1");
        assert_eq!(v["decision"], "Allow");
        assert_eq!(v["statements"][0]["sid"], "Read");
        let denied = line.replace("10.1.2.3", "192.0.2.1");
        assert_eq!(evaluate_line(&denied)["decision"], "ImplicitDeny");
        let v = evaluate_line(r#"{"id":"c2","request":{}}"#);
        assert_eq!(v["id"], "c2");
        assert!(v["error"].as_str().unwrap().starts_with("invalid case"));
        let trust = r#"{"id":"t1","request":{"principal":"arn:aws:iam::111122223333:user/alice","action":"sts:AssumeRole","resource":"arn:aws:iam::111122223333:role/r"},"identity_policies":[{"name":"p","document":{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}}],"trust_policy":{"Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}}"#;
        assert_eq!(evaluate_line(trust)["decision"], "ImplicitDeny", "the role trusts only Lambda");
        let trusted =
            trust.replace(r#"{"Service":"lambda.amazonaws.com"}"#, r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#);
        assert_eq!(evaluate_line(&trusted)["decision"], "Allow");
        // Placement rules IAM enforces: an identity policy needs Resource and names no Principal.
        let no_resource = r#"{"id":"v1","request":{"principal":"p","action":"s3:GetObject","resource":"*"},"identity_policies":[{"name":"np","document":{"Statement":[{"Effect":"Allow","Action":"*"}]}}]}"#;
        assert!(evaluate_line(no_resource)["error"].as_str().unwrap().contains("Resource or NotResource is required"));
        let with_principal = no_resource.replace(r#""Action":"*""#, r#""Action":"*","Resource":"*","Principal":"*""#);
        assert!(evaluate_line(&with_principal)["error"].as_str().unwrap().contains("Principal"));
        let v = evaluate_line("{nope");
        assert!(v["error"].as_str().unwrap().starts_with("invalid JSON"));
        let bad = r#"{"id":"c3","request":{"principal":"p","action":"s3:GetObject","resource":"*"},"identity_policies":[{"name":"bad","document":{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}}]}"#;
        let v = evaluate_line(bad);
        assert!(v["error"].as_str().unwrap().contains("policy bad"), "{v}");
    }

    #[test]
    fn validate_reports_unreadable_condition_values_and_warns_on_allow_not_principal() {
        // AWS evaluates the invalid address as a condition that does not match: the deny does
        // not apply, so the decision is Allow, and --validate says the policy is invalid.
        let line = r#"{"id":"v","request":{"principal":"arn:aws:iam::111122223333:user/alice","action":"s3:GetObject","resource":"*","context":{"aws:SourceIp":"198.51.100.7"}},"identity_policies":[{"name":"office","document":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"OfficeOnly","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"300.1.2.3"}}}]}}]}"#;
        assert_eq!(evaluate_line(line)["decision"], "Allow");
        let v = validate_line(line);
        assert_eq!(v["valid"], false, "{v}");
        assert_eq!(v["problems"][0]["policy"], "office");
        assert_eq!(v["problems"][0]["severity"], "error");
        assert_eq!(v["problems"][0]["statement"], 1);
        assert!(v["problems"][0]["message"].as_str().unwrap().contains("300.1.2.3"), "{v}");
        let np = r#"{"id":"w","request":{"principal":"arn:aws:iam::111122223333:user/alice","action":"sqs:SendMessage","resource":"arn:aws:sqs:us-east-1:111122223333:q"},"identity_policies":[],"resource_policy":{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"sqs:SendMessage"}]}}"#;
        assert_eq!(evaluate_line(np)["decision"], "Allow", "NotPrincipal with Allow is valid");
        let v = validate_line(np);
        assert_eq!(v["valid"], true, "{v}");
        assert_eq!(v["problems"][0]["severity"], "warning");
    }
}
