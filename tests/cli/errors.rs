//! Errors name the file or folder they failed on: a bare "No such file or directory" leaves the
//! user guessing which of a command's paths is wrong.

use crate::common::*;

#[test]
fn a_missing_input_or_output_path_is_named_in_the_error() {
    let dir = scratch("errors-name-paths");
    let gone = dir.join("no-such-folder");
    let lake = sample_lake();
    let iam = sample_iam();
    let rollup = gone.join("rollup.parquet");
    let findings = gone.join("findings.json");
    let report = gone.join("report.csv");
    let (iam_file, output) = (gone.join("iam.json"), gone.join("out.txt"));
    let cases: Vec<(Vec<&str>, &std::path::Path)> = vec![
        (vec!["usage", "--lake", p(lake), "--write-rollup", p(&rollup)], &gone),
        (vec!["usage", "--lake", p(lake), "--iam", p(&iam_file)], &gone),
        (vec!["usage", "--lake", p(lake), "--iam", p(&iam), "--credential-report", p(&report)], &report),
        (
            vec!["recommend", "--lake", p(lake), "--iam", p(&iam), "--findings", p(&findings), "--out", p(&dir)],
            &findings,
        ),
        (vec!["--output", p(&output), "usage", "--lake", p(lake)], &gone),
    ];
    for (args, named) in cases {
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(p(named)), "{args:?}: the error does not name {}: {stderr}", named.display());
        assert!(!gone.exists(), "{args:?} created {}", gone.display());
    }
}
