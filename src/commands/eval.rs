//! `trailtrim eval --cases FILE|-`: batch evaluation, one JSON case per line, one result per line.

use super::Status;
use crate::policy::{evaluate, parse_policy, validate_for_kind, NamedPolicy, PolicyKind, PolicySet, Request};
use anyhow::{Context as _, Result};
use clap::Args;
use serde::Deserialize;
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A file of JSON lines, or - for standard input.
    #[arg(long)]
    pub cases: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    id: Value,
    request: Request,
    identity_policies: Vec<Named>,
    #[serde(default)]
    permission_boundaries: Vec<Named>,
    #[serde(default)]
    scps: Vec<Vec<Named>>,
    #[serde(default)]
    resource_policy: Option<Value>,
    #[serde(default)]
    session_policy: Option<Value>,
    /// A role's trust policy, for `sts:AssumeRole*` requests (instead of `resource_policy`).
    #[serde(default)]
    trust_policy: Option<Value>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
    document: Value,
}

fn named(n: &Named, kind: PolicyKind) -> Result<NamedPolicy, String> {
    parse_policy(&n.document)
        .and_then(|p| validate_for_kind(&p, kind).map(|_| p))
        .map(|p| NamedPolicy::new(n.name.clone(), kind, p))
        .map_err(|e| format!("policy {}: {e}", n.name))
}

fn evaluate_line(line: &str) -> Value {
    let raw: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return json!({"id": null, "error": format!("invalid JSON: {e}")}),
    };
    let id = raw.get("id").cloned().unwrap_or(Value::Null);
    let case: Case = match serde_json::from_value(raw) {
        Ok(c) => c,
        Err(e) => return json!({"id": id, "error": format!("invalid case: {e}")}),
    };
    let build = || -> Result<PolicySet, String> {
        let mut set = PolicySet::default();
        for p in &case.identity_policies {
            set.identity.push(named(p, PolicyKind::Identity)?);
        }
        for p in &case.permission_boundaries {
            set.boundaries.push(named(p, PolicyKind::PermissionBoundary)?);
        }
        for level in &case.scps {
            set.scps.push(level.iter().map(|p| named(p, PolicyKind::Scp)).collect::<Result<_, _>>()?);
        }
        if let Some(doc) = &case.resource_policy {
            let n = Named { name: "resource-policy".into(), document: doc.clone() };
            set.resource_policy = Some(named(&n, PolicyKind::Resource)?);
        }
        if let Some(doc) = &case.trust_policy {
            if set.resource_policy.is_some() {
                return Err("give either resource_policy or trust_policy, not both".to_owned());
            }
            let n = Named { name: "trust-policy".into(), document: doc.clone() };
            set.resource_policy = Some(named(&n, PolicyKind::Trust)?);
        }
        if let Some(doc) = &case.session_policy {
            let n = Named { name: "session-policy".into(), document: doc.clone() };
            set.session_policies.push(named(&n, PolicyKind::Session)?);
        }
        Ok(set)
    };
    match build() {
        Ok(set) => {
            let ev = evaluate(&set, &case.request);
            let statements: Vec<Value> = ev
                .statements
                .iter()
                .map(|s| json!({"policy": s.policy, "kind": s.kind, "sid": s.sid, "index": s.index}))
                .collect();
            json!({"id": case.id, "decision": ev.decision, "statements": statements, "reason": ev.reason})
        }
        Err(e) => json!({"id": case.id, "error": e}),
    }
}

pub fn run(a: &EvalArgs) -> Result<Status> {
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
        let v = evaluate_line(&line);
        if v.get("error").is_some() {
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
}
