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
