//! `trailtrim detect` on the sample: every incident family found, nothing in the benign part.

use crate::common::*;
use std::collections::{BTreeMap, BTreeSet};

fn findings() -> serde_json::Value {
    let iam = sample_iam();
    json(&["detect", "--lake", p(sample_lake()), "--iam", p(&iam), "--format", "json"])
}

/// Incident event IDs from the corpus's documented ground truth (a cross-check only).
fn incidents() -> BTreeMap<String, (String, BTreeSet<String>)> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sample_logs().join("ground-truth.json")).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for i in v["incidents"].as_array().unwrap() {
        let ids = strings(&i["event_ids"]).into_iter().collect();
        out.insert(i["id"].as_str().unwrap().to_owned(), (i["family"].as_str().unwrap().to_owned(), ids));
    }
    out
}

#[test]
fn every_incident_family_is_found_and_nothing_in_the_benign_part() {
    let v = findings();
    let fs = v["findings"].as_array().unwrap();
    let incidents = incidents();
    let incident_events: BTreeSet<String> = incidents.values().flat_map(|(_, ids)| ids.iter().cloned()).collect();
    for f in fs {
        for key in [
            "id",
            "detector",
            "severity",
            "mitre",
            "principal",
            "actor",
            "first_seen",
            "last_seen",
            "summary",
            "event_ids",
            "evidence",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
        }
        for id in strings(&f["event_ids"]) {
            assert!(
                incident_events.contains(&id),
                "finding {} ({}) cites benign event {id}",
                f["detector"],
                f["summary"]
            );
        }
    }
    // Each incident is covered by at least one finding that cites one of its events.
    let expected: BTreeMap<&str, &str> = [
        ("root-activity", "root."),
        ("recon-burst", "behaviour.recon-burst"),
        ("access-denied-burst", "behaviour.access-denied-burst"),
        ("bulk-secret-reads", "behaviour.bulk-secrets-read"),
        ("first-use-of-granted-permission", "lp.first-use-high-risk"),
        ("cloudtrail-tampering", "cloudtrail.tampering"),
        ("defence-evasion", "defense-evasion."),
        ("iam-persistence", "iam.persistence."),
        ("console-login-without-mfa", "console.login-without-mfa"),
        ("resource-exposure", "exposure."),
        ("execution", "execution."),
        ("new-region", "behaviour.new-region"),
        ("password-spray", "behaviour.password-spray"),
        ("ec2-credentials-outside", "behaviour.ec2-credentials-outside"),
        ("external-account-assume", "behaviour.cross-account-new-source"),
        ("credential-harvest", "credential-access."),
        ("backdoors", "exposure."),
        ("llm-jacking", "impact.bedrock-"),
        ("ransomware", "impact."),
        ("instance-credentials-elsewhere", "behaviour."),
    ]
    .into_iter()
    .collect();
    for (inc, (family, ids)) in &incidents {
        let Some(prefix) = expected.get(family.as_str()) else { continue };
        let hit = fs.iter().any(|f| {
            f["detector"].as_str().unwrap().starts_with(prefix)
                && strings(&f["event_ids"]).iter().any(|e| ids.contains(e))
        });
        assert!(hit, "{inc} ({family}) not found by a {prefix} detector");
    }
    let families: BTreeSet<&str> = incidents.values().map(|(f, _)| f.as_str()).collect();
    for f in expected.keys() {
        assert!(families.contains(f), "the sample has no {f} incident");
    }
}

#[test]
fn one_incident_gives_one_finding_not_one_per_event() {
    let v = findings();
    let spray: Vec<&serde_json::Value> =
        v["findings"].as_array().unwrap().iter().filter(|f| f["detector"] == "behaviour.password-spray").collect();
    assert_eq!(spray.len(), 1);
    assert!(spray[0]["event_ids"].as_array().unwrap().len() >= 14);
}

#[test]
fn other_formats_and_the_detector_list() {
    let md = run_ok(&["detect", "--lake", p(sample_lake()), "--format", "md"]);
    assert!(md.starts_with("# Findings") && md.contains("| severity |"));
    let table = run_ok(&["detect", "--lake", p(sample_lake())]);
    assert!(table.contains("behaviour.password-spray"));
    let list = run_ok(&["detect", "--list", "--lake", p(sample_lake())]);
    assert!(list.lines().count() >= 30, "{list}");
    // Without --iam there are no least-privilege findings.
    let v = json(&["detect", "--lake", p(sample_lake()), "--format", "json"]);
    assert!(v["findings"].as_array().unwrap().iter().all(|f| f["detector"] != "lp.first-use-high-risk"));
}

/// Every technique of issue 16 that the sample stages is found with default settings, each by
/// its own detector, on the events of its incident.
#[test]
fn every_added_technique_is_found_with_default_settings() {
    let v = json(&["detect", "--lake", p(sample_lake()), "--format", "json"]);
    let fs = v["findings"].as_array().unwrap();
    let incidents = incidents();
    let staged =
        |ids: &[&str]| -> BTreeSet<String> { ids.iter().flat_map(|id| incidents[*id].1.iter().cloned()).collect() };
    let cases: &[(&str, &[&str])] = &[
        ("credential-access.secrets-batch", &["INC-19"]),
        ("credential-access.ssm-decrypt-bulk", &["INC-19"]),
        ("credential-access.ec2-user-data-read", &["INC-19"]),
        ("credential-access.ec2-password-data", &["INC-19"]),
        ("lateral-movement.ec2-instance-connect", &["INC-19"]),
        ("lateral-movement.ec2-serial-console", &["INC-19"]),
        ("exposure.lambda-public", &["INC-20"]),
        ("persistence.lambda-foreign-layer", &["INC-20"]),
        ("persistence.roles-anywhere", &["INC-20"]),
        ("exposure.bucket-foreign-account", &["INC-20"]),
        ("exposure.security-group-open", &["INC-20"]),
        ("persistence.federation-token", &["INC-20"]),
        ("impact.bedrock-first-use", &["INC-21"]),
        ("impact.bedrock-model-access", &["INC-21"]),
        ("impact.unusual-instance-type", &["INC-22"]),
        ("impact.s3-sse-c", &["INC-22"]),
        ("behaviour.s3-mass-delete", &["INC-22"]),
        ("impact.kms-key-disabled", &["INC-22"]),
        ("behaviour.ec2-credentials-outside", &["INC-23"]),
        ("behaviour.instance-session-recon", &["INC-23"]),
    ];
    let mut missing = Vec::new();
    for (detector, incs) in cases {
        let ids = staged(incs);
        let hit =
            fs.iter().any(|f| f["detector"] == *detector && strings(&f["event_ids"]).iter().any(|e| ids.contains(e)));
        if !hit {
            missing.push(*detector);
        }
    }
    assert!(missing.is_empty(), "not found with default settings: {missing:?}");
    // The SSH/RDP opened to 0.0.0.0/1 and ::/0 is an open admin port.
    let inc20 = staged(&["INC-20"]);
    assert!(fs.iter().any(|f| f["detector"] == "exposure.security-group-open"
        && f["severity"] == "high"
        && strings(&f["event_ids"]).iter().any(|e| inc20.contains(e))));
    // The baseline used is reported: 30 of the 45 days, not short.
    let b = &v["baseline"];
    assert_eq!(
        (b["from"].as_str(), b["to"].as_str(), b["days"].as_i64()),
        (Some("2026-09-01"), Some("2026-10-01"), Some(30)),
        "{b}"
    );
    assert_eq!(b["short"], false);
    assert!(b.get("warning").is_none());
}

/// A short window (two days of the incident) reports its baseline as short, with its dates.
#[test]
fn a_short_window_reports_its_baseline() {
    let out =
        run(&["detect", "--lake", p(sample_lake()), "--from", "2026-10-13", "--to", "2026-10-15", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let b = &v["baseline"];
    assert_eq!(b["short"], true, "{b}");
    assert!(b["warning"].as_str().is_some_and(|w| w.contains("< 14 days")), "{b}");
    assert!(b["from"].as_str().is_some_and(|d| d.starts_with("2026-10-1")), "{b}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: baseline"));
}

/// `--baseline-until` is used as given and reported as explicit.
#[test]
fn baseline_until_is_kept_and_reported() {
    let v = json(&["detect", "--lake", p(sample_lake()), "--baseline-until", "2026-10-08", "--format", "json"]);
    let b = &v["baseline"];
    assert_eq!(
        (b["chosen"].as_str(), b["to"].as_str(), b["days"].as_i64()),
        (Some("explicit"), Some("2026-10-08"), Some(37)),
        "{b}"
    );
    assert_eq!(b["short"], false);
}
