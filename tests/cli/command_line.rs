//! One command line: SQL from stdin, quiet closed pipes, and unknown principals as usage errors
//! with suggestions, the same in every command that takes `--principal`.

use crate::common::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn with_stdin(args: &[&str], input: &str) -> std::process::Output {
    let mut child = Command::new(exe())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn query_dash_reads_sql_from_stdin() {
    let lake = sample_lake();
    let o = with_stdin(&["query", "-", "--lake", p(lake), "--format", "json"], "SELECT count(*) AS n\nFROM events\n");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["n"].as_u64().unwrap() as usize, sample_counts().1.len());
    // The file-access rule applies to SQL from stdin too.
    let o = with_stdin(&["query", "-", "--lake", p(lake)], "SELECT * FROM read_csv('/etc/passwd')");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = with_stdin(&["query", "-", "--lake", p(lake)], "  \n");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no SQL on stdin"), "{}", stderr(&o));
}

/// `trailtrim ARGS | head -0`: the reader is gone before the first byte is written.
fn with_closed_stdout(args: &[String]) -> std::process::Output {
    let mut child = Command::new(exe()).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_pipe_ends_every_printing_command_quietly() {
    let lake = p(sample_lake()).to_owned();
    let out = scratch("closed-pipe-recommend");
    let iam = sample_iam_args();
    let with_iam = |cmd: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
        v.extend(iam.iter().cloned());
        v
    };
    let commands: Vec<Vec<String>> = vec![
        vec![
            "query".into(),
            "SELECT * FROM events".into(),
            "--lake".into(),
            lake.clone(),
            "--format".into(),
            "csv".into(),
        ],
        vec![
            "query".into(),
            "SELECT * FROM events".into(),
            "--lake".into(),
            lake.clone(),
            "--format".into(),
            "json".into(),
        ],
        vec!["query".into(), "--list".into()],
        with_iam(&["usage", "--lake", &lake, "--format", "json"]),
        with_iam(&["usage", "--lake", &lake, "--format", "csv"]),
        with_iam(&["permissions", "--principal", "alice", "--format", "json"]),
        vec![
            "detect".into(),
            "--lake".into(),
            lake.clone(),
            "--iam".into(),
            p(&sample_iam()).into(),
            "--format".into(),
            "json".into(),
        ],
        vec!["detect".into(), "--lake".into(), lake.clone(), "--list".into()],
        with_iam(&["recommend", "--lake", &lake, "--out", p(&out), "--format", "md"]),
    ];
    for args in commands {
        let o = with_closed_stdout(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked") && !err.contains("error"), "{args:?}: {err}");
    }
}

#[test]
fn an_unknown_principal_is_a_usage_error_with_suggestions_everywhere() {
    let lake = p(sample_lake()).to_owned();
    let out = scratch("unknown-principal");
    let typo = arn("user/alcie");
    let mut runs: Vec<Vec<String>> = Vec::new();
    for cmd in [
        vec!["usage", "--lake", &lake],
        vec!["recommend", "--lake", &lake, "--out", p(&out)],
        vec!["permissions"],
        vec!["simulate", "--action", "s3:GetObject"],
    ] {
        let mut v: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
        v.extend(sample_iam_args());
        v.extend(["--principal".into(), typo.clone()]);
        runs.push(v);
    }
    for args in runs {
        let o = run_owned(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(&typo) && err.contains(&format!("did you mean {}?", arn("user/alice"))),
            "{args:?}: {err}"
        );
    }
    // Nothing close: no suggestion, still status 2.
    let mut args: Vec<String> = vec!["permissions".into()];
    args.extend(sample_iam_args());
    args.extend(["--principal".into(), "zzzzzz".into()]);
    let o = run_owned(&args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!stderr(&o).contains("did you mean"), "{}", stderr(&o));
}

#[test]
fn principals_may_be_given_by_name() {
    let mut args: Vec<String> = vec!["usage".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    args.extend(["--principal".into(), "app-server-role".into(), "--format".into(), "json".into()]);
    let v: serde_json::Value =
        serde_json::from_str(&run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>())).unwrap();
    let principals = v["principals"].as_array().unwrap();
    assert_eq!(principals.len(), 1);
    assert_eq!(principals[0]["arn"], arn("role/service/app-server-role"));

    let mut args: Vec<String> = vec!["simulate".into()];
    args.extend(sample_iam_args());
    args.extend(["--principal".into(), "alice".into(), "--action".into(), "s3:ListAllMyBuckets".into()]);
    let o = run_owned(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains(&arn("user/alice")));
}

#[test]
fn usage_runs_without_iam_and_says_what_is_missing() {
    let lake = p(sample_lake());
    let o = run(&["usage", "--lake", lake, "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("no --iam") && stderr(&o).contains("needs --iam"), "{}", stderr(&o));
    let csv = String::from_utf8(o.stdout).unwrap();
    let role = arn("role/service/app-server-role");
    assert!(csv.lines().any(|l| l.starts_with(&format!("{role},")) && l.contains(",used,")), "{csv}");
    assert!(!csv.contains("used-not-granted") && !csv.contains(",unused,"), "nothing is known to be granted");
    // The table shows the granted side as unknown, not as zero.
    let table = run_ok(&["usage", "--lake", lake]);
    let row = table.lines().find(|l| l.starts_with(&role)).unwrap();
    assert_eq!(row.split_whitespace().nth(2), Some("-"), "{row}");
    // The inputs that only make sense with --iam still need it; commands that need IAM still require it.
    let o = run(&["usage", "--lake", lake, "--scps", p(&sample_logs().join("iam/scps"))]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let out = scratch("recommend-without-iam");
    let o = run(&["recommend", "--lake", lake, "--out", p(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--iam"), "{}", stderr(&o));
}

#[test]
fn completions_and_manual_pages_cover_every_command() {
    use clap::CommandFactory;
    let names: Vec<String> =
        trailtrim::cli::Cli::command().get_subcommands().map(|c| c.get_name().to_owned()).collect();
    let dir = scratch("manual");
    let script = run_ok(&["completions", "bash"]);
    std::fs::write(dir.join("trailtrim.bash"), &script).unwrap();
    let syntax = std::process::Command::new("bash").arg("-n").arg(dir.join("trailtrim.bash")).output().unwrap();
    assert!(syntax.status.success(), "{}", String::from_utf8_lossy(&syntax.stderr));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let s = run_ok(&["completions", shell]);
        assert!(names.iter().all(|n| s.contains(n.as_str())), "{shell} completion misses a command");
    }
    let page = run_ok(&["man"]);
    assert!(page.starts_with(".ie") || page.contains(".TH trailtrim 1"), "{}", &page[..200.min(page.len())]);
    run_ok(&["man", "--out", p(&dir.join("man"))]);
    for n in &names {
        assert!(script.contains(n.as_str()), "bash completion misses {n}");
        // roff escapes hyphens.
        assert!(page.contains(&n.replace('-', "\\-")), "the manual page misses {n}");
        assert!(dir.join("man").join(format!("trailtrim-{n}.1")).is_file(), "no page for {n}");
    }
    let bad = run(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn readme_documents_every_command() {
    use clap::CommandFactory;
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for c in trailtrim::cli::Cli::command().get_subcommands() {
        let row = format!("| `trailtrim {}", c.get_name());
        assert!(readme.contains(&row), "README's command table has no row for `{}`", c.get_name());
    }
}

#[test]
fn a_config_file_gives_options_that_the_command_line_overrides() {
    let dir = scratch("config");
    let cfg = dir.join("trailtrim.toml");
    std::fs::write(
        &cfg,
        format!(
            "lake = \"lake\"\niam = \"{}\"\n\n[ingest]\nsources = [\"{}\"]\nquiet = true\n\n[usage]\nformat = \"json\"\n",
            p(&sample_iam()),
            p(&sample_logs())
        ),
    )
    .unwrap();
    // Paths are relative to the file: the lake is created beside it, whatever the working folder.
    run_ok(&["ingest", "--config", p(&cfg)]);
    assert!(dir.join("lake/events").is_dir());
    let usage: serde_json::Value = serde_json::from_str(&run_ok(&["usage", "--config", p(&cfg)])).unwrap();
    assert!(usage["principals"].as_array().is_some_and(|a| !a.is_empty()));
    // The command line wins.
    let table = run_ok(&["usage", "--config", p(&cfg), "--format", "table"]);
    assert!(table.starts_with("principal"), "{table}");
    let elsewhere = run(&["usage", "--config", p(&cfg), "--lake", p(&dir.join("nowhere"))]);
    assert_eq!(elsewhere.status.code(), Some(2));
    assert!(stderr(&elsewhere).contains("nowhere"));

    // Mistakes are usage errors naming the file and the key.
    std::fs::write(&cfg, "[usage]\nformatt = \"json\"\n").unwrap();
    let bad = run(&["usage", "--config", p(&cfg)]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("has no option formatt") && stderr(&bad).contains("format"), "{}", stderr(&bad));
    std::fs::write(&cfg, "lake = \n").unwrap();
    let broken = run(&["usage", "--config", p(&cfg)]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(stderr(&broken).contains(p(&cfg)), "{}", stderr(&broken));
    // A value that looks like an option stays a value (here: a lake path that does not exist).
    std::fs::write(&cfg, "lake = \"--allow-files\"\n").unwrap();
    let odd = run(&["query", "select 1", "--config", p(&cfg)]);
    assert_eq!(odd.status.code(), Some(2));
    assert!(stderr(&odd).contains("--allow-files: does not exist"), "{}", stderr(&odd));
    std::fs::write(&cfg, "[ingest]\nsources = [\"--json\"]\nlake = \"l\"\n").unwrap();
    assert_eq!(run(&["ingest", "--config", p(&cfg)]).status.code(), Some(2));
    std::fs::write(&cfg, "[nosuchcommand]\nlake = \"x\"\n").unwrap();
    assert_eq!(run(&["usage", "--config", p(&cfg)]).status.code(), Some(2));
}

#[test]
fn output_file_holds_what_stdout_would_and_survives_a_failed_run() {
    let dir = scratch("output-file");
    std::fs::create_dir_all(&dir).unwrap();
    let lake = p(sample_lake()).to_owned();
    let stdout = run_ok(&["usage", "--lake", &lake, "--format", "json"]);
    let file = dir.join("usage.json");
    // The option is global: before or after the command's own options.
    let out = run(&["--output", p(&file), "usage", "--lake", &lake, "--format", "json"]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty(), "nothing on stdout with --output");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout);
    let q = dir.join("q.csv");
    let out =
        run(&["query", "--lake", &lake, "--format", "csv", "SELECT COUNT(*) AS n FROM events", "--output", p(&q)]);
    assert!(out.status.success());
    assert!(std::fs::read_to_string(&q).unwrap().starts_with("n\n"));
    // A run that fails leaves the earlier file as it was, and no temporary file behind.
    let missing = dir.join("no-such-lake");
    let out = run(&["usage", "--lake", p(&missing), "--format", "json", "--output", p(&file)]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout);
    let names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    // A folder is not a file.
    let out = run(&["usage", "--lake", &lake, "--output", p(&dir)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a folder"));
}

#[test]
fn permissions_and_who_can_speak_csv_and_markdown_with_the_json_rows() {
    let iam = sample_iam_args();
    let with = |cmd: &[&str], format: &str| -> String {
        let mut args: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
        args.extend(iam.iter().cloned());
        args.extend(["--format".into(), format.into()]);
        let out = run_owned(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let carol = arn("user/carol");
    let perm = ["permissions", "--principal", carol.as_str()];
    let v: serde_json::Value = serde_json::from_str(&with(&perm, "json")).unwrap();
    let levels: usize = v["services"].as_array().unwrap().iter().map(|s| s["levels"].as_object().unwrap().len()).sum();
    let csv = with(&perm, "csv");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("service,access_level,full,partial,denied"));
    assert_eq!(lines.count(), levels, "one CSV row per service and access level");
    let md = with(&perm, "md");
    assert!(md.starts_with("| service | access_level | full | partial | denied |\n|---|---|---|---|---|\n"), "{md}");
    assert_eq!(md.lines().count(), levels + 2);

    let who = ["who-can", "--action", "s3:GetObject", "--resource", "arn:aws:s3:::examplecorp-data/reports/x"];
    let v: serde_json::Value = serde_json::from_str(&with(&who, "json")).unwrap();
    let principals: Vec<&str> =
        v["principals"].as_array().unwrap().iter().map(|w| w["arn"].as_str().unwrap()).collect();
    assert!(!principals.is_empty());
    let csv = with(&who, "csv");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("principal,via,decision,statements,conditions"));
    let rows: Vec<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(rows, principals, "the CSV rows are the JSON's principals, in order");
}

#[test]
fn detect_and_denials_speak_csv_with_the_json_rows() {
    let lake = p(sample_lake()).to_owned();
    let v = json(&["detect", "--lake", &lake, "--format", "json"]);
    let ids: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    let csv = run_ok(&["detect", "--lake", &lake, "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("id,severity,detector,mitre,principal,actor,first_seen,last_seen,incident_id,summary,event_ids")
    );
    let rows: Vec<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(rows, ids, "one CSV row per finding, in the JSON's order");

    let mut args: Vec<String> = vec!["denials".into(), "--lake".into(), lake.clone()];
    args.extend(sample_iam_args());
    let as_json: serde_json::Value =
        serde_json::from_slice(&run_owned(&[args.clone(), vec!["--format".into(), "json".into()]].concat()).stdout)
            .unwrap();
    let out = run_owned(&[args, vec!["--format".into(), "csv".into()]].concat());
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("count,layer,decision,principal,action,resource,"));
    // Event ids and statements are joined with "; ", so no field holds a line break.
    assert_eq!(lines.count(), as_json["denials"].as_array().unwrap().len());
}

/// The `--format` values a command's long help lists (the option's own list only).
fn format_values(help: &str) -> Vec<String> {
    let mut lines = help.lines().skip_while(|l| !l.trim_start().starts_with("--format"));
    let first = lines.next().unwrap_or_default();
    // The option's own lines: up to the next option.
    let own: Vec<&str> = std::iter::once(first)
        .chain(lines.take_while(|l| !l.trim_start().starts_with('-') || l.trim_start().starts_with("- ")))
        .collect();
    if let Some(list) = own.iter().find_map(|l| l.split("[possible values: ").nth(1)) {
        return list.trim().trim_end_matches(']').split(", ").map(str::to_owned).collect();
    }
    own.iter()
        .filter_map(|l| l.trim_start().strip_prefix("- "))
        .map(|l| l.split(':').next().unwrap_or_default().trim().to_owned())
        .collect()
}

#[test]
fn every_printing_command_speaks_the_shared_format_vocabulary() {
    let vocabulary = ["table", "json", "csv", "md", "html", "ocsf", "asff", "none"];
    let common = ["table", "json", "csv", "md"];
    let summary = ["table", "json"];
    for (cmd, required) in [
        ("query", &common[..]),
        ("permissions", &common),
        ("usage", &common),
        ("who-can", &common),
        ("denials", &common),
        ("detect", &common),
        ("recommend", &common),
        ("simulate", &summary),
        ("ingest", &summary),
        ("refresh", &summary),
        ("run", &summary),
        ("report", &["html", "md"]),
    ] {
        let values = format_values(&run_ok(&[cmd, "--help"]));
        for v in &values {
            assert!(vocabulary.contains(&v.as_str()), "{cmd} --format {v} is not in the shared vocabulary");
        }
        for r in required {
            assert!(values.iter().any(|v| v == r), "{cmd} lacks --format {r}: {values:?}");
        }
    }
}

#[test]
fn summary_commands_take_format_json_and_keep_their_json_flag() {
    let mut base: Vec<String> = vec!["simulate".into(), "--principal".into(), "alice".into()];
    base.extend(["--action".into(), "s3:GetObject".into()]);
    base.extend(sample_iam_args());
    let with = |extra: &str| {
        let mut v = base.clone();
        v.push(extra.into());
        if extra == "--format" {
            v.push("json".into());
        }
        let o = run_owned(&v);
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let (flag, format) = (with("--json"), with("--format"));
    assert_eq!(flag, format);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&format).unwrap()["evaluation"]["decision"], "Allow");

    let lake = scratch("format-json-lake");
    let logs = sample_logs();
    let ingest = json(&["ingest", p(&logs), "--lake", p(&lake), "--quiet", "--format", "json"]);
    assert!(ingest["events_written"].as_u64().unwrap() > 0, "{ingest}");
    let refresh = json(&["refresh", "--lake", p(&lake), "--format", "json"]);
    assert!(refresh["partitions"].as_u64().unwrap() > 0, "{refresh}");
    // Without --format json they print nothing on stdout (their summary is on stderr).
    assert_eq!(run_ok(&["refresh", "--lake", p(&lake)]), "");
}
