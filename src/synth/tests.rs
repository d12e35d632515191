//! Determinism, layout and record-shape tests of the generator (sample, bulk and other shapes).

use std::path::{Path, PathBuf};

use super::{run, Shape, SynthArgs};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("trailtrim-synth-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn gunzip(p: &Path) -> String {
    use std::io::Read;
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap()).read_to_string(&mut s).unwrap();
    s
}

/// `<acct>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<16 alnum>.json.gz` under
/// `AWSLogs/[o-org/]<acct>/CloudTrail/<region>/YYYY/MM/DD/`.
fn check_layout(root: &Path, p: &Path) {
    let rel: Vec<String> = p.strip_prefix(root).unwrap().iter().map(|c| c.to_string_lossy().into_owned()).collect();
    assert_eq!(rel[0], "AWSLogs");
    let rest = if rel[1].starts_with("o-") { &rel[2..] } else { &rel[1..] };
    let (acct, region, y, m, d, name) = (&rest[0], &rest[2], &rest[3], &rest[4], &rest[5], &rest[6]);
    assert_eq!(rest[1], "CloudTrail");
    assert!(acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit()), "{p:?}");
    let prefix = format!("{acct}_CloudTrail_{region}_{y}{m}{d}T");
    assert!(name.starts_with(&prefix), "{name} vs {prefix}");
    let tail = name.strip_prefix(&prefix).unwrap().strip_suffix(".json.gz").unwrap();
    let (hhmm, suffix) = tail.split_once("Z_").unwrap();
    assert!(hhmm.len() == 4 && hhmm.bytes().all(|b| b.is_ascii_digit()), "{name}");
    assert!(suffix.len() == 16 && suffix.bytes().all(|b| b.is_ascii_alphanumeric()), "{name}");
}

fn check_records(text: &str) -> usize {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let recs = v["Records"].as_array().expect("Records array");
    for r in recs {
        for k in ["eventID", "eventTime", "eventSource", "eventName", "awsRegion", "recipientAccountId"] {
            assert!(r[k].as_str().is_some_and(|s| !s.is_empty()), "missing {k} in {r}");
        }
        assert!(r["userIdentity"]["type"].is_string());
    }
    recs.len()
}

fn is_log(p: &Path) -> bool {
    p.to_string_lossy().contains("/CloudTrail/")
}

#[test]
fn sample_is_deterministic_and_well_formed() {
    let (a, b) = (temp_dir("sample-a"), temp_dir("sample-b"));
    let sa = run(&SynthArgs::new(&a)).unwrap();
    let sb = run(&SynthArgs::new(&b)).unwrap();
    assert_eq!(sa, sb);
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa.len(), fb.len());
    assert_eq!(fa.len() as u64, sa.files);
    let mut events = 0;
    let mut ids = std::collections::BTreeSet::new();
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(x.strip_prefix(&a).unwrap(), y.strip_prefix(&b).unwrap());
        assert_eq!(std::fs::read(x).unwrap(), std::fs::read(y).unwrap(), "{x:?} differs");
        if is_log(x) {
            check_layout(&a, x);
            let text = gunzip(x);
            events += check_records(&text);
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            for r in v["Records"].as_array().unwrap() {
                ids.insert(r["eventID"].as_str().unwrap().to_string());
            }
        }
    }
    assert_eq!(events as u64, sa.events);
    // The organization-trail copy repeats events: fewer unique ids than records.
    assert!(ids.len() < events && ids.len() > 2000 && ids.len() < 4000, "{} unique of {events}", ids.len());
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("ground-truth.json")).unwrap()).unwrap();
    assert_eq!(truth["unique_events"].as_u64(), Some(ids.len() as u64));
    for inc in truth["incidents"].as_array().unwrap() {
        assert!(inc["events"].as_u64().unwrap() > 0, "empty incident {}", inc["id"]);
        for id in inc["event_ids"].as_array().unwrap() {
            assert!(ids.contains(id.as_str().unwrap()));
        }
    }
    for f in ["iam/authorization-details.json", "iam/credential-report.csv", "SCENARIO.md", "iam/scps/00-root.json"] {
        assert!(a.join(f).is_file(), "{f}");
    }
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn bulk_is_deterministic_and_well_formed() {
    let (a, b) = (temp_dir("bulk-a"), temp_dir("bulk-b"));
    let mut args = SynthArgs::new(&a);
    args.events = 5_500;
    args.shape = Shape::Bulk;
    args.events_per_file = 1_000;
    args.principals = 50;
    let sa = run(&args).unwrap();
    args.out = b.clone();
    let sb = run(&args).unwrap();
    assert_eq!(sa, sb);
    assert_eq!(sa.events, 5_500);
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa.len(), 7); // 6 log files + authorization details
    let mut events = 0;
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(std::fs::read(x).unwrap(), std::fs::read(y).unwrap());
        if is_log(x) {
            check_layout(&a, x);
            events += check_records(&gunzip(x));
        }
    }
    assert_eq!(events, 5_500);
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn scenario_story_holds() {
    use super::scenario::cast::{DAY, DAYS, INCIDENT_DAY, START};
    let events = super::scenario::events(42);
    let incident_start = START + INCIDENT_DAY * DAY;
    let ids: std::collections::BTreeSet<&str> = events.iter().map(|e| e.rec.event_id.as_str()).collect();
    assert_eq!(ids.len(), events.len(), "event ids are unique");
    assert!(events.iter().all(|e| e.t >= START && e.t < START + DAYS * DAY));
    // dave never read a secret before his key was stolen; he did afterwards.
    let reads = |before: bool| {
        events
            .iter()
            .filter(|e| {
                e.principal == "user/dave" && e.rec.event_name == "GetSecretValue" && (e.t < incident_start) == before
            })
            .count()
    };
    assert_eq!(reads(true), 0);
    assert!(reads(false) >= 15);
    // Unused principals stay unused (svc-backup only appears as a sprayed sign-in name).
    assert!(!events.iter().any(|e| e.principal == "role/unused-role"));
    assert!(events
        .iter()
        .filter(|e| e.principal == "user/svc-backup")
        .all(|e| e.rec.event_name == "ConsoleLogin" && e.rec.error_message.is_some()));
    // The baseline has no new region; the incident has ap-southeast-1.
    assert!(events.iter().filter(|e| e.t < incident_start).all(|e| e.region == "us-east-1" || e.region == "eu-west-1"));
    assert!(events
        .iter()
        .any(|e| e.region == "ap-southeast-1" && e.rec.event_name == "RunInstances" && e.rec.error_code.is_none()));
    // Every incident id used by the generator is documented.
    let documented: Vec<&str> = super::scenario::truth_ids();
    for e in &events {
        for t in &e.tags {
            assert!(documented.contains(t), "{t} undocumented");
        }
    }
    for id in documented {
        assert!(events.iter().any(|e| e.tags.contains(&id)), "{id} has no events");
    }
}

/// (account, region, YYYY/MM/DD) of a log file from its path, and its record count.
fn log_files(root: &Path) -> Vec<((String, String, String), usize, u64)> {
    files(root)
        .into_iter()
        .filter(|p| is_log(p))
        .map(|p| {
            check_layout(root, &p);
            let rel: Vec<String> =
                p.strip_prefix(root).unwrap().iter().map(|c| c.to_string_lossy().into_owned()).collect();
            let rest = if rel[1].starts_with("o-") { &rel[2..] } else { &rel[1..] };
            let key = (rest[0].clone(), rest[2].clone(), format!("{}/{}/{}", rest[3], rest[4], rest[5]));
            (key, check_records(&gunzip(&p)), std::fs::metadata(&p).unwrap().len())
        })
        .collect()
}

#[test]
fn realistic_shape_is_many_small_deliveries_per_account_region_and_5_minutes() {
    let (a, b) = (temp_dir("real-a"), temp_dir("real-b"));
    let mut args = SynthArgs::new(&a);
    args.events = 40_000;
    args.days = 2;
    args.accounts = 3;
    args.principals = 50;
    let sa = run(&args).unwrap();
    args.out = b.clone();
    assert_eq!(run(&args).unwrap(), sa, "same arguments, same corpus");
    assert_eq!((sa.mode, sa.events), ("realistic", 40_000));
    for (x, y) in files(&a).iter().zip(&files(&b)) {
        assert_eq!(std::fs::read(x).unwrap(), std::fs::read(y).unwrap(), "{x:?}");
    }
    let logs = log_files(&a);
    assert_eq!(logs.iter().map(|l| l.1).sum::<usize>(), 40_000);
    assert_eq!(logs.len() as u64 + 1, sa.files);
    let accounts: std::collections::BTreeSet<_> = logs.iter().map(|l| l.0 .0.clone()).collect();
    let regions: std::collections::BTreeSet<_> = logs.iter().map(|l| l.0 .1.clone()).collect();
    let days: std::collections::BTreeSet<_> = logs.iter().map(|l| l.0 .2.clone()).collect();
    assert_eq!((accounts.len(), regions.len()), (3, 5));
    // The last deliveries of a day are dated the next day, like real ones.
    assert!(days.len() == 2 || days.len() == 3, "{days:?}");
    // At most one file per account, region and 5 minutes: 3 x 5 x 2 x 288 slots.
    assert!(logs.len() > 1_000 && logs.len() <= 8_640, "{} files", logs.len());
    // Most files small, a few much larger (bursts).
    let mut sizes: Vec<u64> = logs.iter().map(|l| l.2).collect();
    sizes.sort_unstable();
    let median = sizes[sizes.len() / 2];
    let max = *sizes.last().unwrap();
    assert!(median < 8_000, "median file {median} bytes");
    assert!(max > 20 * median, "largest file {max} bytes vs median {median}");
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn pathological_shapes_one_event_files_and_an_org_export_spanning_every_partition() {
    let d = temp_dir("one-event");
    let mut args = SynthArgs::new(&d);
    args.events = 300;
    args.shape = Shape::OneEventFiles;
    args.principals = 20;
    let s = run(&args).unwrap();
    let logs = log_files(&d);
    assert_eq!((s.events, logs.len()), (300, 300));
    assert!(logs.iter().all(|l| l.1 == 1));
    let _ = std::fs::remove_dir_all(&d);

    let d = temp_dir("org-trail");
    let mut args = SynthArgs::new(&d);
    args.events = 2_000;
    args.shape = Shape::OrgTrail;
    args.events_per_file = 500;
    args.accounts = 4;
    args.regions = 5;
    args.days = 3;
    args.principals = 20;
    run(&args).unwrap();
    let logs = log_files(&d);
    assert_eq!(logs.len(), 4);
    // Every file spans all 4 x 5 x 3 partitions.
    for p in files(&d).iter().filter(|p| is_log(p)) {
        let v: serde_json::Value = serde_json::from_str(&gunzip(p)).unwrap();
        let parts: std::collections::BTreeSet<(String, String, String)> = v["Records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let s = |k: &str| r[k].as_str().unwrap().to_owned();
                (s("recipientAccountId"), s("awsRegion"), s("eventTime")[..10].to_owned())
            })
            .collect();
        assert_eq!(parts.len(), 60, "{p:?}");
    }
    let _ = std::fs::remove_dir_all(&d);
}
