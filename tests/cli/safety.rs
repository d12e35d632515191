//! Outputs never escape or destroy: names from input never climb out of `--out`, `--out` never
//! loses a file trailtrim did not write, `query` reads no file outside the lake unless allowed,
//! and inputs of the wrong shape are refused, never read as "nothing found".

use crate::common::*;
use std::path::Path;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The sample authorization details with app-server-role renamed (its ARN, and so its usage, kept).
fn renamed_iam(dir: &Path, role_name: &str) -> std::path::PathBuf {
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(sample_iam()).unwrap()).unwrap();
    for r in v["RoleDetailList"].as_array_mut().unwrap() {
        if r["RoleName"] == "app-server-role" {
            r["RoleName"] = role_name.into();
        }
    }
    let path = dir.join("authorization-details.json");
    std::fs::write(&path, v.to_string()).unwrap();
    path
}

fn recommend(iam: &Path, out: &Path, principal: &str) -> std::process::Output {
    let iam_dir = sample_logs().join("iam");
    run(&[
        "recommend",
        "--lake",
        p(sample_lake()),
        "--iam",
        p(iam),
        "--scps",
        p(&iam_dir.join("scps")),
        "--resource-policies",
        p(&iam_dir.join("resource-policies")),
        "--out",
        p(out),
        "--principal",
        principal,
    ])
}

#[test]
fn a_traversal_role_name_is_written_inside_out_encoded() {
    let dir = scratch("safety-traversal");
    let iam = renamed_iam(&dir, "../../../../escaped/evil-role");
    let out = dir.join("out");
    let o = recommend(&iam, &out, &arn("role/service/app-server-role"));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Unencoded, the policy would land in dir/escaped/evil-role.json.
    assert!(!dir.join("escaped").exists(), "a policy was written outside --out");
    let encoded = out.join("policies/111122223333/roles/..%2F..%2F..%2F..%2Fescaped%2Fevil-role.json");
    assert!(encoded.is_file(), "{}", stderr(&o));
    assert!(stderr(&o).contains("\"../../../../escaped/evil-role\", not a valid IAM name"), "{}", stderr(&o));
    let recs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("recommendations.json")).unwrap()).unwrap();
    assert_eq!(
        recs["principals"][0]["policy_files"][0],
        "policies/111122223333/roles/..%2F..%2F..%2F..%2Fescaped%2Fevil-role.json"
    );
}

#[test]
fn out_keeps_files_trailtrim_did_not_write_and_drops_its_stale_ones() {
    let dir = scratch("safety-out");
    let out = dir.join("out");
    // A folder with the user's own files and no marker: refused, untouched.
    std::fs::create_dir_all(out.join("policies/tf")).unwrap();
    std::fs::write(out.join("policies/tf/main.tf"), "terraform").unwrap();
    let o = recommend(&sample_iam(), &out, &arn("role/service/app-server-role"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not empty") && stderr(&o).contains(".trailtrim-output"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(out.join("policies/tf/main.tf")).unwrap(), "terraform");
    assert!(!out.join("report.md").exists());

    // A new folder is trailtrim's; the user may then add files of their own to it.
    std::fs::remove_dir_all(&out).unwrap();
    let o = recommend(&sample_iam(), &out, &arn("role/service/app-server-role"));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let first = out.join("policies/111122223333/roles/app-server-role.json");
    assert!(first.is_file());
    std::fs::create_dir_all(out.join("policies/tf")).unwrap();
    std::fs::write(out.join("policies/tf/main.tf"), "terraform").unwrap();
    std::fs::write(out.join("policies/111122223333/roles/README.txt"), "notes").unwrap();

    // The next run replaces trailtrim's files, removes its stale policy, keeps the user's.
    let o = recommend(&sample_iam(), &out, &arn("role/service/lambda-exec-role"));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!first.exists(), "the stale policy of the earlier run is removed");
    assert!(out.join("policies/111122223333/roles/lambda-exec-role.json").is_file());
    assert_eq!(std::fs::read_to_string(out.join("policies/tf/main.tf")).unwrap(), "terraform");
    assert_eq!(std::fs::read_to_string(out.join("policies/111122223333/roles/README.txt")).unwrap(), "notes");
    let recs = std::fs::read_to_string(out.join("recommendations.json")).unwrap();
    assert!(recs.contains("lambda-exec-role") && !recs.contains("app-server-role"));
}

#[test]
fn run_and_report_refuse_outputs_they_may_not_write() {
    let dir = scratch("safety-run-out");
    let foreign = dir.join("out");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.md"), "mine").unwrap();
    let mut args: Vec<String> = vec!["run".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    args.extend(["--out".into(), p(&foreign).into(), "--quiet".into()]);
    let o = run_owned(&args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not empty"), "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(&foreign).unwrap().count(), 1);
    assert_eq!(std::fs::read_to_string(foreign.join("notes.md")).unwrap(), "mine");

    // `report --out` names a file; a folder there is a usage error.
    let mut args: Vec<String> = vec!["report".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    args.extend(["--out".into(), p(&foreign).into()]);
    let o = run_owned(&args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("is a folder"), "{}", stderr(&o));
}

#[test]
fn query_reads_no_file_outside_the_lake_unless_allowed() {
    let lake = sample_lake();
    let o = run(&["query", "SELECT * FROM read_csv('/etc/passwd')", "--lake", p(lake)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("/etc/passwd") && stderr(&o).contains("outside the lake"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    // Case, quoting and comments do not hide the call.
    let o = run(&["query", "select * from /* x */ \"READ_CSV\" ( '/etc/passwd' ) -- y", "--lake", p(lake)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    let dir = scratch("safety-query");
    let csv = dir.join("outside.csv");
    std::fs::write(&csv, "a,b\n1,2\n3,4\n").unwrap();
    let sql = format!("SELECT sum(b) AS s FROM read_csv('{}')", p(&csv));
    let o = run(&["query", &sql, "--lake", p(lake), "--format", "json"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let v = json(&["query", &sql, "--lake", p(lake), "--format", "json", "--allow-files"]);
    assert_eq!(v[0]["s"], 6);

    // The lake's own files may be read by path.
    let sql = format!("SELECT count(*) AS n FROM read_parquet('{}/events/**/*.parquet')", p(lake));
    let v = json(&["query", &sql, "--lake", p(lake), "--format", "json"]);
    assert_eq!(v[0]["n"].as_u64().unwrap() as usize, sample_counts().1.len());
}

#[test]
fn inputs_of_the_wrong_shape_are_refused_naming_what_was_expected() {
    let dir = scratch("safety-shapes");
    // A credential report whose check columns were renamed: an error, never a pass.
    let text = std::fs::read_to_string(sample_logs().join("iam/credential-report.csv")).unwrap();
    let renamed = text.replacen("mfa_active", "mfa", 1).replacen("access_key_1_active", "key1_active", 1);
    std::fs::write(dir.join("cr.csv"), renamed).unwrap();
    let mut args: Vec<String> = vec!["report".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    args.extend(["--credential-report".into(), p(&dir.join("cr.csv")).into()]);
    args.extend(["--out".into(), p(&dir.join("r.html")).into()]);
    let o = run_owned(&args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("cr.csv") && stderr(&o).contains("mfa_active, access_key_1_active"), "{}", stderr(&o));
    assert!(!dir.join("r.html").exists());

    // A policy document given as --iam.
    let policy = dir.join("policy.json");
    std::fs::write(&policy, r#"{"Version": "2012-10-17", "Statement": []}"#).unwrap();
    let o = run(&["usage", "--lake", p(sample_lake()), "--iam", p(&policy)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("policy.json") && stderr(&o).contains("UserDetailList"), "{}", stderr(&o));

    // A resource-policy file without a policy.
    let rp = dir.join("rp");
    std::fs::create_dir_all(&rp).unwrap();
    std::fs::write(rp.join("bucket.json"), r#"{"arn": "arn:aws:s3:::data", "tags": {}}"#).unwrap();
    let o = run(&["usage", "--lake", p(sample_lake()), "--iam", p(&sample_iam()), "--resource-policies", p(&rp)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("bucket.json") && stderr(&o).contains("no policy"), "{}", stderr(&o));
}
