//! Service control policies (and resource control policies, same folder format), one level of
//! the organization per file.
//!
//! A folder of `*.json` files ordered by name (`00-root.json`, `10-ou-workloads.json`,
//! `20-account.json`): each file is one level, root first. A file holds a single policy document,
//! `{"policies":[{"name":..,"document":..}]}`, `aws organizations describe-policy` output
//! (`{"Policy":{"PolicySummary":{..},"Content":"<json>"}}`), or a `{"Policies":[..]}` / JSON array of
//! such policies. `list-policies-for-target` summaries carry no content; of those only AWS's
//! `FullAWSAccess` is known without its content, others are an error.

use std::path::Path;

use serde_json::{json, Value};

use super::document::{decode_document, json_type, parse_named, DocContext};
use super::error::AccountError;
use crate::policy::{NamedPolicy, PolicyKind};

/// SCP levels (root first) and warnings.
#[derive(Debug, Clone, Default)]
pub struct ScpLevels {
    pub levels: Vec<Vec<NamedPolicy>>,
    pub warnings: Vec<String>,
}

/// The content of AWS's `FullAWSAccess` SCP (or `RCPFullAWSAccess` RCP), attached everywhere
/// by default.
fn full_aws_access(kind: PolicyKind) -> Value {
    match kind {
        PolicyKind::Rcp => json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}),
        _ => json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    }
}

/// Loads a folder of SCP level files (or a single file as one level).
pub fn load(path: &Path) -> anyhow::Result<ScpLevels> {
    load_levels(path, PolicyKind::Scp)
}

/// Loads a folder of level files of `kind` (`Scp` or `Rcp`; or a single file as one level).
pub fn load_levels(path: &Path, kind: PolicyKind) -> anyhow::Result<ScpLevels> {
    let what = if kind == PolicyKind::Rcp { "RCP" } else { "SCP" };
    let mut out = ScpLevels::default();
    let files = if path.is_dir() {
        let mut files = Vec::new();
        for entry in
            std::fs::read_dir(path).map_err(|e| AccountError::input(&path.display().to_string(), e.to_string()))?
        {
            let p = entry.map_err(|e| AccountError::input(&path.display().to_string(), e.to_string()))?.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.starts_with('.') || !p.is_file() {
                continue;
            }
            if p.extension().and_then(|e| e.to_str()) == Some("json") {
                files.push(p);
            } else {
                out.warnings.push(format!("{}: ignored ({what} level files must end in .json)", p.display()));
            }
        }
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    if files.is_empty() {
        out.warnings.push(format!("{}: no {what} level files (*.json); no {what}s applied", path.display()));
    }
    for file in files {
        let display = file.display().to_string();
        let text = std::fs::read_to_string(&file).map_err(|e| AccountError::input(&display, e.to_string()))?;
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        let level = parse_level_kind(&text, &stem, &display, kind)?;
        if level.is_empty() {
            out.warnings
                .push(format!("{display}: {what} level has no policies, which denies everything at this level"));
        }
        out.levels.push(level);
    }
    Ok(out)
}

/// One level file's text → its policies, named `scp/<stem>/<name>`.
pub fn parse_level(text: &str, stem: &str, file: &str) -> Result<Vec<NamedPolicy>, AccountError> {
    parse_level_kind(text, stem, file, PolicyKind::Scp)
}

/// One level file's text → its policies of `kind`, named `scp/<stem>/<name>` or
/// `rcp/<stem>/<name>`.
pub fn parse_level_kind(
    text: &str,
    stem: &str,
    file: &str,
    kind: PolicyKind,
) -> Result<Vec<NamedPolicy>, AccountError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| AccountError::input(file, format!("not valid JSON: {e}")))?;
    let mut raw: Vec<(String, Value)> = Vec::new();
    collect(&value, stem, file, kind, &mut raw)?;
    let (what, prefix) = if kind == PolicyKind::Rcp { ("RCP", "rcp") } else { ("SCP", "scp") };
    let owner = format!("{what} level {stem}");
    raw.into_iter()
        .map(|(name, content)| {
            let ctx = DocContext { file, owner: &owner, policy: &name };
            let doc = decode_document(&content).map_err(|reason| AccountError::Document {
                file: file.to_string(),
                owner: owner.clone(),
                policy: name.clone(),
                reason,
            })?;
            parse_named(&doc, format!("{prefix}/{stem}/{name}"), kind, ctx)
        })
        .collect()
}

fn str_field<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|k| v.get(*k).and_then(Value::as_str))
}

/// Collects (name, raw content) pairs from any supported shape.
fn collect(
    v: &Value,
    stem: &str,
    file: &str,
    kind: PolicyKind,
    out: &mut Vec<(String, Value)>,
) -> Result<(), AccountError> {
    match v {
        Value::Array(items) => {
            for item in items {
                collect(item, stem, file, kind, out)?;
            }
            Ok(())
        }
        Value::Object(obj) => {
            if obj.contains_key("Statement") {
                let name = str_field(v, &["Id"]).unwrap_or(stem).to_string();
                out.push((name, v.clone()));
                return Ok(());
            }
            if let Some(list) = obj.get("policies").or_else(|| obj.get("Policies")) {
                return collect(list, stem, file, kind, out);
            }
            if let Some(inner) = obj.get("Policy") {
                // describe-policy output wraps the policy in "Policy".
                return collect(inner, stem, file, kind, out);
            }
            let summary = obj.get("PolicySummary").unwrap_or(v);
            let name = str_field(summary, &["name", "Name", "Id"])
                .map(str::to_string)
                .unwrap_or_else(|| format!("{stem}-{}", out.len() + 1));
            if let Some(content) = obj
                .get("document")
                .or_else(|| obj.get("Document"))
                .or_else(|| obj.get("Content"))
                .or_else(|| obj.get("content"))
            {
                out.push((name, content.clone()));
                return Ok(());
            }
            let (id, full_name) = match kind {
                PolicyKind::Rcp => ("p-RCPFullAWSAccess", "RCPFullAWSAccess"),
                _ => ("p-FullAWSAccess", "FullAWSAccess"),
            };
            let is_full_access = str_field(summary, &["Id"]) == Some(id)
                || (str_field(summary, &["Name"]) == Some(full_name)
                    && summary.get("AwsManaged").and_then(Value::as_bool) != Some(false));
            if is_full_access {
                out.push((name, full_aws_access(kind)));
                return Ok(());
            }
            Err(AccountError::input(
                file,
                format!(
                    "{kind:?} {name:?} has no content (list-policies-for-target gives only summaries; add `aws organizations describe-policy` output or the document)"
                ),
            ))
        }
        other => Err(AccountError::input(
            file,
            format!("a {kind:?} level must be a policy document or a list of policies, found {}", json_type(other)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("trailtrim-scp-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn folder_levels_are_ordered_by_file_name() {
        let dir = temp_dir("order");
        std::fs::write(
            dir.join("20-account.json"),
            r#"{"policies":[{"name":"DenyRegions","document":{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}},{"name":"Allow","document":"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}]}"#,
        )
        .unwrap();
        std::fs::write(
            dir.join("00-root.json"),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )
        .unwrap();
        std::fs::write(
            dir.join("10-ou-workloads.json"),
            r#"{"Policy":{"PolicySummary":{"Id":"p-abc","Name":"NoLeave","AwsManaged":false},"Content":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"organizations:LeaveOrganization\",\"Resource\":\"*\"}]}"}}"#,
        )
        .unwrap();
        std::fs::write(dir.join("README.txt"), "notes").unwrap();
        let got = load(&dir).unwrap();
        let names: Vec<Vec<&str>> = got.levels.iter().map(|l| l.iter().map(|p| p.name.as_str()).collect()).collect();
        assert_eq!(
            names,
            vec![
                vec!["scp/00-root/00-root"],
                vec!["scp/10-ou-workloads/NoLeave"],
                vec!["scp/20-account/DenyRegions", "scp/20-account/Allow"],
            ]
        );
        assert!(got.levels.iter().flatten().all(|p| p.kind == PolicyKind::Scp));
        assert_eq!(got.warnings.len(), 1, "{:?}", got.warnings);
        assert!(got.warnings[0].contains("README.txt"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn list_policies_summaries_resolve_full_aws_access_only() {
        let text = r#"{"Policies":[{"Id":"p-FullAWSAccess","Arn":"arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess","Name":"FullAWSAccess","Type":"SERVICE_CONTROL_POLICY","AwsManaged":true}]}"#;
        let level = parse_level(text, "00-root", "00-root.json").unwrap();
        assert_eq!(level.len(), 1);
        assert_eq!(level[0].name, "scp/00-root/FullAWSAccess");

        let text = r#"{"Policies":[{"Id":"p-1234","Name":"Custom","AwsManaged":false}]}"#;
        let err = parse_level(text, "10-ou", "10-ou.json").unwrap_err().to_string();
        assert!(err.contains("10-ou.json") && err.contains("Custom"), "{err}");
    }

    #[test]
    fn malformed_scp_names_file_level_and_statement() {
        let text = r#"{"policies":[{"name":"Bad","document":{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Perhaps","Action":"*","Resource":"*"}]}}]}"#;
        let err = parse_level(text, "20-account", "scps/20-account.json").unwrap_err().to_string();
        assert!(err.contains("scps/20-account.json"), "{err}");
        assert!(err.contains("Bad"), "{err}");
        assert!(err.contains("statement 1"), "0-based statement index in {err}");
    }
}
