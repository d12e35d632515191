//! Findings in the formats responders' tools import: OCSF Detection Finding (class 2004) and the
//! AWS Security Finding Format (Security Hub `BatchImportFindings`).
//!
//! Pure: findings in, JSON values out. Both carry the finding id, so a re-export updates rather
//! than duplicates (Security Hub keys on `ProductArn` + `Id`, OCSF consumers on
//! `finding_info.uid`).

use serde_json::{json, Map, Value};

use super::event::{arn_account, parse_time_ms};
use super::findings::{Finding, Severity};
use super::incidents::tactic_of;

/// The OCSF schema version the events follow.
pub const OCSF_VERSION: &str = "1.3.0";

fn product() -> Value {
    json!({ "name": "trailtrim", "vendor_name": "trailtrim", "version": env!("CARGO_PKG_VERSION") })
}

fn ms(iso: &str) -> Value {
    parse_time_ms(iso).map(Value::from).unwrap_or(Value::Null)
}

/// The account a finding is about: its principal's, else `default_account` (the lake's).
fn account_of<'a>(f: &'a Finding, default_account: Option<&'a str>) -> Option<&'a str> {
    f.principal
        .as_deref()
        .and_then(arn_account)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .or(default_account)
        .or_else(|| f.principal.as_deref().filter(|p| p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit())))
}

fn first_region(f: &Finding) -> Option<&str> {
    f.evidence.get("regions").and_then(|r| r.as_array()).and_then(|r| r.first()).and_then(Value::as_str)
}

fn strings<'a>(f: &'a Finding, key: &str) -> Vec<&'a str> {
    f.evidence
        .get(key)
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// `T1562.008` -> `T1562` (OCSF's technique and sub-technique are separate objects).
fn technique(mitre: &str) -> Option<Value> {
    let m = mitre.trim();
    if !m.starts_with('T') {
        return None;
    }
    let (base, sub) = match m.split_once('.') {
        Some((b, _)) => (b, Some(m)),
        None => (m, None),
    };
    let mut attack = Map::new();
    attack.insert("technique".into(), json!({ "uid": base }));
    if let Some(sub) = sub {
        attack.insert("sub_technique".into(), json!({ "uid": sub }));
    }
    Some(Value::Object(attack))
}

/// The name ATT&CK gives a tactic (`defense-evasion` -> `Defense Evasion`,
/// `command-and-control` -> `Command and Control`).
fn tactic_name(tactic: &str) -> String {
    tactic
        .split('-')
        .map(|w| {
            if w == "and" {
                w.to_owned()
            } else {
                let mut c = w.chars();
                c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One OCSF Detection Finding (class_uid 2004, activity Create) per finding.
pub fn ocsf(f: &Finding, default_account: Option<&str>) -> Value {
    let (severity_id, severity) = match f.severity {
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    };
    let tactic = tactic_of(f);
    let mut attacks = Vec::new();
    if let Some(Value::Object(mut a)) = technique(&f.mitre) {
        if tactic != "other" {
            a.insert("tactic".into(), json!({ "name": tactic_name(&tactic) }));
        }
        attacks.push(Value::Object(a));
    }
    let mut info = json!({
        "uid": f.id,
        "title": f.summary,
        "desc": f.summary,
        "types": [f.detector],
        "analytic": { "uid": f.detector, "name": f.detector, "type_id": 1, "type": "Rule" },
        "first_seen_time": ms(&f.first_seen),
        "last_seen_time": ms(&f.last_seen),
        "related_events": f.event_ids.iter().map(|e| json!({ "uid": e })).collect::<Vec<_>>(),
    });
    if !attacks.is_empty() {
        info["attacks"] = Value::Array(attacks);
    }
    let mut cloud = json!({ "provider": "AWS" });
    if let Some(a) = account_of(f, default_account) {
        cloud["account"] = json!({ "uid": a, "type": "AWS Account", "type_id": 10 });
    }
    if let Some(r) = first_region(f) {
        cloud["region"] = json!(r);
    }
    let mut evidence = Map::new();
    let mut user = Map::new();
    if let Some(p) = &f.principal {
        user.insert("uid".into(), json!(p));
    }
    if let Some(a) = &f.actor {
        user.insert("name".into(), json!(a));
    }
    if !user.is_empty() {
        evidence.insert("actor".into(), json!({ "user": user }));
    }
    if let Some(ip) = strings(f, "source_ips").first() {
        evidence.insert("src_endpoint".into(), json!({ "ip": ip }));
    }
    if let Some(op) = strings(f, "event_names").first() {
        evidence.insert("api".into(), json!({ "operation": op }));
    }
    let mut out = json!({
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": 1,
        "status": "New",
        "time": ms(&f.last_seen),
        "message": f.summary,
        "metadata": { "version": OCSF_VERSION, "product": product(), "uid": f.id },
        "finding_info": info,
        "cloud": cloud,
        "unmapped": { "incident_id": f.incident_id, "evidence": f.evidence },
    });
    if !evidence.is_empty() {
        out["evidences"] = json!([evidence]);
    }
    out
}

/// Security Hub's finding types: `TTPs/<tactic>` for the tactics its taxonomy has, effects for
/// exfiltration and impact, else unusual behaviour of a user.
fn asff_type(tactic: &str) -> String {
    match tactic {
        "initial-access"
        | "execution"
        | "persistence"
        | "privilege-escalation"
        | "defense-evasion"
        | "credential-access"
        | "discovery"
        | "lateral-movement"
        | "collection"
        | "command-and-control" => {
            format!("TTPs/{}", tactic_name(tactic))
        }
        "reconnaissance" => "TTPs/Discovery".into(),
        "exfiltration" => "Effects/Data Exfiltration".into(),
        "impact" => "Effects/Resource Consumption".into(),
        _ => "Unusual Behaviors/User".into(),
    }
}

/// ASFF's length limits (Title 256, Description 1024 characters).
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// The resource a finding is about: the principal (IAM user or role), else the account.
fn asff_resource(f: &Finding, account: &str, region: &str) -> Value {
    let (ty, id) = match f.principal.as_deref() {
        Some(p) if p.contains(":user/") => ("AwsIamUser", p.to_owned()),
        Some(p) if p.contains(":role/") => ("AwsIamRole", p.to_owned()),
        Some(p) if p.starts_with("arn:") => ("Other", p.to_owned()),
        _ => ("AwsAccount", format!("AWS::::Account:{account}")),
    };
    json!({ "Type": ty, "Id": id, "Partition": "aws", "Region": region })
}

/// One ASFF finding. `product_region`: the Security Hub region the findings are imported into
/// (the ProductArn must name it). Returns None when no account is known.
pub fn asff(f: &Finding, default_account: Option<&str>, product_region: &str) -> Option<Value> {
    let account = account_of(f, default_account)?;
    let region = first_region(f).unwrap_or(product_region);
    let label = match f.severity {
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    };
    let mut fields = Map::new();
    fields.insert("trailtrim/detector".into(), json!(f.detector));
    fields.insert("trailtrim/mitre".into(), json!(f.mitre));
    fields.insert("trailtrim/event_count".into(), json!(f.event_ids.len().to_string()));
    if let Some(i) = &f.incident_id {
        fields.insert("trailtrim/incident_id".into(), json!(i));
    }
    if let Some(a) = &f.actor {
        fields.insert("trailtrim/actor".into(), json!(a));
    }
    let ips = strings(f, "source_ips");
    if !ips.is_empty() {
        fields.insert("trailtrim/source_ips".into(), json!(ips.join(",")));
    }
    let description = format!(
        "{}. Detector {} ({}); {} event(s) from {} to {}.",
        f.summary.trim_end_matches('.'),
        f.detector,
        f.mitre,
        f.event_ids.len(),
        f.first_seen,
        f.last_seen
    );
    Some(json!({
        "SchemaVersion": "2018-10-08",
        "Id": f.id,
        "ProductArn": format!("arn:aws:securityhub:{product_region}:{account}:product/{account}/default"),
        "GeneratorId": format!("trailtrim/{}", f.detector),
        "AwsAccountId": account,
        "Types": [asff_type(&tactic_of(f))],
        "CreatedAt": f.first_seen,
        "UpdatedAt": f.last_seen,
        "FirstObservedAt": f.first_seen,
        "LastObservedAt": f.last_seen,
        "Severity": { "Label": label, "Original": f.severity.as_str() },
        "Title": cut(&f.summary, 256),
        "Description": cut(&description, 1024),
        "Resources": [asff_resource(f, account, region)],
        "ProductFields": fields,
        "RecordState": "ACTIVE",
        "Workflow": { "Status": "NEW" },
    }))
}

/// The `BatchImportFindings` request body: `{"Findings": [...]}`. Findings with no known account
/// are left out (ASFF requires one); their ids are returned.
pub fn asff_document(
    findings: &[Finding],
    default_account: Option<&str>,
    product_region: &str,
) -> (Value, Vec<String>) {
    let mut list = Vec::new();
    let mut skipped = Vec::new();
    for f in findings {
        match asff(f, default_account, product_region) {
            Some(v) => list.push(v),
            None => skipped.push(f.id.clone()),
        }
    }
    (json!({ "Findings": list }), skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(principal: Option<&str>) -> Finding {
        Finding {
            id: "0123456789abcdef".into(),
            detector: "cloudtrail.tampering".into(),
            severity: Severity::High,
            mitre: "T1562.008".into(),
            principal: principal.map(str::to_owned),
            actor: Some("dave".into()),
            first_seen: "2026-10-08T02:19:37Z".into(),
            last_seen: "2026-10-08T02:20:00Z".into(),
            summary: "CloudTrail logging tampered with".into(),
            event_ids: vec!["e1".into(), "e2".into()],
            evidence: json!({"regions": ["eu-west-1"], "source_ips": ["185.220.101.34"], "event_names": ["StopLogging"]}),
            incident_id: Some("fedcba9876543210".into()),
        }
    }

    #[test]
    fn ocsf_detection_finding() {
        let v = ocsf(&finding(Some("arn:aws:iam::111122223333:user/dave")), None);
        assert_eq!(v["class_uid"], 2004);
        assert_eq!(v["category_uid"], 2);
        assert_eq!(v["type_uid"], 200401);
        assert_eq!(v["severity_id"], 4);
        assert_eq!(v["time"], 1_791_426_000_000i64);
        assert_eq!(v["finding_info"]["uid"], "0123456789abcdef");
        assert_eq!(v["finding_info"]["first_seen_time"], 1_791_425_977_000i64);
        assert_eq!(v["finding_info"]["attacks"][0]["technique"]["uid"], "T1562");
        assert_eq!(v["finding_info"]["attacks"][0]["sub_technique"]["uid"], "T1562.008");
        assert_eq!(v["finding_info"]["attacks"][0]["tactic"]["name"], "Defense Evasion");
        assert_eq!(v["cloud"]["account"]["uid"], "111122223333");
        assert_eq!(v["cloud"]["region"], "eu-west-1");
        assert_eq!(v["metadata"]["version"], OCSF_VERSION);
        assert_eq!(v["evidences"][0]["src_endpoint"]["ip"], "185.220.101.34");
        assert_eq!(v["unmapped"]["incident_id"], "fedcba9876543210");
    }

    #[test]
    fn asff_finding_and_its_account() {
        let v = asff(&finding(Some("arn:aws:iam::111122223333:role/Admin")), None, "us-east-1").unwrap();
        assert_eq!(v["SchemaVersion"], "2018-10-08");
        assert_eq!(v["ProductArn"], "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default");
        assert_eq!(v["AwsAccountId"], "111122223333");
        assert_eq!(v["Types"], json!(["TTPs/Defense Evasion"]));
        assert_eq!(v["Severity"]["Label"], "HIGH");
        assert_eq!(v["Resources"][0]["Type"], "AwsIamRole");
        assert_eq!(v["Resources"][0]["Region"], "eu-west-1");
        // No principal: the account is the resource, from the lake's account.
        let v = asff(&finding(None), Some("444455556666"), "eu-west-1").unwrap();
        assert_eq!(v["Resources"][0]["Id"], "AWS::::Account:444455556666");
        assert_eq!(v["ProductArn"], "arn:aws:securityhub:eu-west-1:444455556666:product/444455556666/default");
        // No account at all: left out, and said so.
        let (doc, skipped) = asff_document(&[finding(None)], None, "us-east-1");
        assert_eq!(doc["Findings"], json!([]));
        assert_eq!(skipped, ["0123456789abcdef"]);
        // Long titles are cut to ASFF's limit.
        let mut long = finding(None);
        long.summary = "x".repeat(300);
        let v = asff(&long, Some("444455556666"), "us-east-1").unwrap();
        assert_eq!(v["Title"].as_str().unwrap().chars().count(), 256);
    }

    #[test]
    fn tactic_names() {
        assert_eq!(tactic_name("command-and-control"), "Command and Control");
        assert_eq!(tactic_name("initial-access"), "Initial Access");
        assert_eq!(asff_type("exfiltration"), "Effects/Data Exfiltration");
        assert_eq!(asff_type("other"), "Unusual Behaviors/User");
    }
}
