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
    assert!(md.starts_with("# Incidents") && md.contains("**Story:** entry: "), "{md}");
    assert!(md.contains("\n# Findings") && md.contains("| severity |"));
    // Incidents come before the findings, each with its timeline table.
    assert!(md.find("| time | tactic |").unwrap() < md.find("\n# Findings").unwrap());
    let table = run_ok(&["detect", "--lake", p(sample_lake())]);
    assert!(table.contains("behaviour.password-spray"));
    let list = run_ok(&["detect", "--list", "--lake", p(sample_lake())]);
    assert!(list.lines().count() >= 30, "{list}");
    // Without --iam there are no least-privilege findings.
    let v = json(&["detect", "--lake", p(sample_lake()), "--format", "json"]);
    assert!(v["findings"].as_array().unwrap().iter().all(|f| f["detector"] != "lp.first-use-high-risk"));
}

/// The incident of a sample finding, and its findings.
fn incident_of<'a>(v: &'a serde_json::Value, finding: &serde_json::Value) -> &'a serde_json::Value {
    let id = finding["incident_id"].as_str().expect("every finding has an incident");
    v["incidents"].as_array().unwrap().iter().find(|i| i["id"] == id).expect("the incident is listed")
}

#[test]
fn findings_form_incidents_and_the_sample_attack_is_one_story() {
    let v = findings();
    let fs = v["findings"].as_array().unwrap();
    let incs = v["incidents"].as_array().unwrap();
    for i in incs {
        for key in [
            "id",
            "severity",
            "title",
            "principals",
            "actors",
            "first_seen",
            "last_seen",
            "tactics",
            "finding_ids",
            "event_count",
        ] {
            assert!(i.get(key).is_some(), "incident lacks {key}: {i}");
        }
    }
    // Every finding is in exactly one incident, the one its incident_id names.
    for f in fs {
        let owners: Vec<&serde_json::Value> = incs
            .iter()
            .filter(|i| strings(&i["finding_ids"]).contains(&f["id"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(owners.len(), 1, "{}", f["id"]);
        assert_eq!(owners[0]["id"], f["incident_id"]);
    }
    assert!(incs.len() < fs.len() / 2, "{} incidents from {} findings", incs.len(), fs.len());

    // The 2026-10-08 intrusion: dave's leaked key, then OrganizationAccountAccessRole assumed
    // from the same address, tampering, evasion and persistence: one story.
    let gt = incidents();
    let recon = fs.iter().find(|f| f["detector"] == "behaviour.recon-burst").unwrap();
    let story = incident_of(&v, recon);
    let members: Vec<&serde_json::Value> = fs.iter().filter(|f| f["incident_id"] == story["id"]).collect();
    let cited: BTreeSet<String> = members.iter().flat_map(|f| strings(&f["event_ids"])).collect();
    for inc in ["INC-01", "INC-02", "INC-03", "INC-04", "INC-05", "INC-06", "INC-07", "INC-08"] {
        assert!(gt[inc].1.iter().any(|e| cited.contains(e)), "{inc} is not in the story {story}");
    }
    let principals = strings(&story["principals"]);
    assert!(principals.iter().any(|p| p.ends_with(":user/dave")), "{principals:?}");
    assert!(principals.iter().any(|p| p.ends_with(":role/OrganizationAccountAccessRole")), "{principals:?}");
    // Nothing of the benign part or of other actors (carol, root, the spraying address).
    for f in &members {
        let who = f["principal"].as_str().unwrap_or("");
        assert!(who.ends_with("/dave") || who.ends_with("/OrganizationAccountAccessRole"), "{f}");
    }
    assert_eq!(story["severity"], "critical");
    let tactics = strings(&story["tactics"]);
    assert_eq!(tactics[..2], ["initial-access", "discovery"], "{tactics:?}");
    for t in ["defense-evasion", "persistence", "credential-access", "lateral-movement"] {
        assert!(tactics.contains(&t.to_owned()), "{t} missing from {tactics:?}");
    }
    let line = story["story"].as_str().unwrap();
    assert!(line.starts_with("entry: calls from new network(s) 185.220.101.0/24 -> discovery"), "{line}");
    assert!(line.contains("defense evasion x") && line.contains("persistence x"), "{line}");
    assert_eq!(story["first_seen"], "2026-10-08T02:14:06Z");
    // The next day's return (exposure, execution) is more than 2 h later: its own incident.
    let exposure = fs.iter().find(|f| f["detector"] == "exposure.snapshot-public").unwrap();
    assert_ne!(exposure["incident_id"], story["id"]);
    // The password spray is an incident of its own.
    let spray = fs.iter().find(|f| f["detector"] == "behaviour.password-spray").unwrap();
    assert_eq!(incident_of(&v, spray)["finding_ids"].as_array().unwrap().len(), 1);
}

#[test]
fn incidents_are_deterministic_and_the_gap_is_an_option() {
    let iam = sample_iam();
    let args = ["detect", "--lake", p(sample_lake()), "--iam", p(&iam), "--format", "json"];
    assert_eq!(run_ok(&args), run_ok(&args));
    let v = json(&args);
    let recon = v["findings"].as_array().unwrap().iter().find(|f| f["detector"] == "behaviour.recon-burst").unwrap();
    let id = recon["incident_id"].clone();
    // With a day's gap, the return on 2026-10-09 joins the same story under the same id.
    let wide =
        json(&["detect", "--lake", p(sample_lake()), "--iam", p(&iam), "--format", "json", "--incident-gap", "1d"]);
    let fs = wide["findings"].as_array().unwrap();
    let exposure = fs.iter().find(|f| f["detector"] == "exposure.snapshot-public").unwrap();
    assert_eq!(exposure["incident_id"], id);
    assert!(wide["incidents"].as_array().unwrap().len() < v["incidents"].as_array().unwrap().len());
    let out = run(&["detect", "--lake", p(sample_lake()), "--incident-gap", "2 hours"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--incident-gap"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn ocsf_and_asff_exports_carry_the_required_fields() {
    let iam = sample_iam();
    let base = ["detect", "--lake", p(sample_lake()), "--iam", p(&iam), "--format"];
    let v = json(&[&base[..], &["json"]].concat());
    let ids: Vec<String> =
        v["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect();

    // OCSF: one Detection Finding per line, in the findings' order.
    let ocsf = run_ok(&[&base[..], &["ocsf"]].concat());
    let events: Vec<serde_json::Value> = ocsf.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), ids.len());
    for (e, id) in events.iter().zip(&ids) {
        assert_eq!(e["class_uid"], 2004, "{e}");
        assert_eq!(e["category_uid"], 2);
        assert_eq!(e["activity_id"], 1);
        assert_eq!(e["type_uid"], 200401);
        assert!((1..=6).contains(&e["severity_id"].as_i64().unwrap()), "{e}");
        assert!(e["time"].as_i64().unwrap() > 1_700_000_000_000, "{e}");
        assert!(e["metadata"]["version"].as_str().unwrap().starts_with("1."));
        assert_eq!(e["metadata"]["product"]["name"], "trailtrim");
        assert_eq!(e["finding_info"]["uid"].as_str(), Some(id.as_str()));
        assert!(!e["finding_info"]["title"].as_str().unwrap().is_empty());
        assert_eq!(e["cloud"]["provider"], "AWS");
        assert!(e["finding_info"]["related_events"].as_array().is_some_and(|r| !r.is_empty()));
    }

    // ASFF: the BatchImportFindings body; every sample finding has an account.
    let asff = json(&[&base[..], &["asff"]].concat());
    let list = asff["Findings"].as_array().unwrap();
    assert_eq!(list.len(), ids.len());
    let digits = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    for f in list {
        assert_eq!(f["SchemaVersion"], "2018-10-08");
        assert!(ids.contains(&f["Id"].as_str().unwrap().to_owned()));
        let account = f["AwsAccountId"].as_str().unwrap();
        assert!(digits(account), "{f}");
        assert_eq!(f["ProductArn"], format!("arn:aws:securityhub:us-east-1:{account}:product/{account}/default"));
        assert!(f["GeneratorId"].as_str().unwrap().starts_with("trailtrim/"));
        let types = strings(&f["Types"]);
        assert!(!types.is_empty() && types.iter().all(|t| t.contains('/')), "{types:?}");
        for k in ["CreatedAt", "UpdatedAt"] {
            assert!(chrono::DateTime::parse_from_rfc3339(f[k].as_str().unwrap()).is_ok(), "{k}: {f}");
        }
        assert!(["LOW", "MEDIUM", "HIGH", "CRITICAL"].contains(&f["Severity"]["Label"].as_str().unwrap()));
        let title = f["Title"].as_str().unwrap();
        assert!(!title.is_empty() && title.chars().count() <= 256);
        let desc = f["Description"].as_str().unwrap();
        assert!(!desc.is_empty() && desc.chars().count() <= 1024);
        let res = f["Resources"].as_array().unwrap();
        assert!(!res.is_empty() && res.iter().all(|r| r["Type"].is_string() && r["Id"].is_string()), "{f}");
    }
    // The spraying address names no principal: the lake's account is the resource.
    let spray = list.iter().find(|f| f["GeneratorId"] == "trailtrim/behaviour.password-spray").unwrap();
    assert_eq!(spray["AwsAccountId"], "111122223333");
    assert_eq!(spray["Resources"][0]["Id"], "AWS::::Account:111122223333");
    let tamper = list.iter().find(|f| f["GeneratorId"] == "trailtrim/cloudtrail.tampering").unwrap();
    assert_eq!(tamper["Types"], serde_json::json!(["TTPs/Defense Evasion"]));
    let eu = json(&[&base[..], &["asff", "--asff-region", "eu-west-1"]].concat());
    assert!(eu["Findings"][0]["ProductArn"].as_str().unwrap().starts_with("arn:aws:securityhub:eu-west-1:"));
}

const SIGMA_TAMPERING: &str = "sigma.6c1b7a52-2b5e-4c1e-9f0a-3d4f0b9a1001";

#[test]
fn the_shipped_sigma_rules_run_over_the_lake() {
    let rules = repo().join("rules").join("sigma");
    let v = json(&["detect", "--lake", p(sample_lake()), "--sigma", p(&rules), "--format", "json"]);
    let fs = v["findings"].as_array().unwrap();
    let gt = incidents();
    for n in 1..=5 {
        let detector = format!("sigma.6c1b7a52-2b5e-4c1e-9f0a-3d4f0b9a100{n}");
        assert!(fs.iter().any(|f| f["detector"] == detector.as_str()), "{detector} found nothing");
    }
    let tampering: Vec<&serde_json::Value> = fs.iter().filter(|f| f["detector"] == SIGMA_TAMPERING).collect();
    for f in &tampering {
        assert_eq!(f["severity"], "high");
        assert_eq!(f["mitre"], "T1562.008");
        assert_eq!(f["evidence"]["rule_title"], "CloudTrail Logging Stopped, Deleted or Narrowed");
        assert!(strings(&f["evidence"]["tags"]).contains(&"attack.defense_evasion".to_owned()));
        for e in strings(&f["event_ids"]) {
            assert!(gt["INC-06"].1.contains(&e), "{e} is not CloudTrail tampering");
        }
        // The Sigma finding is part of the same incident as the built-in one.
        let builtin =
            fs.iter().find(|b| b["detector"] == "cloudtrail.tampering" && b["principal"] == f["principal"]).unwrap();
        assert_eq!(builtin["incident_id"], f["incident_id"]);
    }
    assert_eq!(tampering.len(), 2, "dave's refused attempts and the admin role's");
}

#[test]
fn an_unsupported_sigma_rule_is_skipped_with_its_file_named() {
    let dir = scratch("sigma-bad-rule");
    let rules = repo().join("rules").join("sigma");
    for entry in std::fs::read_dir(&rules).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        dir.join("encoded.yml"),
        "title: Encoded\nid: x-1\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    requestParameters|base64offset|contains: secret\n  condition: sel\nlevel: low\n",
    )
    .unwrap();
    let out = run(&["detect", "--lake", p(sample_lake()), "--sigma", p(&dir), "--format", "json"]);
    assert_eq!(out.status.code(), Some(3), "finished, one rule rejected");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("encoded.yml") && err.contains("`base64offset`") && err.contains("skipped"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["detector"] == SIGMA_TAMPERING));
    let missing = run(&["detect", "--lake", p(sample_lake()), "--sigma", p(&dir.join("nope"))]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope"));
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
