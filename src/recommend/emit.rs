//! Deployable forms of the written proposals, one set of files per account under
//! `deploy/<account>/`: a reviewed AWS CLI script (`apply.sh`), Terraform (`main.tf`) and a
//! CloudFormation template (`template.json`). The policy JSON files under `policies/` stay the one
//! source: the script and Terraform read them (`file://`, `file(...)`); CloudFormation, which
//! cannot read local files, embeds the same documents.
//!
//! What a proposal replaces (the principal's own inline and managed policies, a user's groups) is
//! never removed by these files: the script lists the commands commented out, Terraform and
//! CloudFormation list it in comments or the description, to be done once the new policies are
//! in place and tested.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde_json::{json, Value};

use super::{PolicyTarget, PrincipalKind, Recommendation};

/// A deployable form (the policy JSON files themselves are always written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Form {
    Cli,
    Terraform,
    CloudFormation,
}

/// What a principal holds today that its proposal replaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replaced {
    /// Names of the principal's own inline policies.
    pub inline: Vec<String>,
    /// ARNs of the managed policies attached to the principal itself.
    pub managed: Vec<String>,
    /// Groups of a user (their policies are part of the user's proposal).
    pub groups: Vec<String>,
}

/// Name under which a proposal document is created in IAM: `trailtrim-<file stem>`, so the
/// policy and its file are found from each other (`trailtrim-bob`, `trailtrim-bob.managed-1`).
pub fn policy_name(stem: &str) -> String {
    format!("trailtrim-{stem}")
}

/// One proposal document to deploy.
struct Doc<'a> {
    /// Path relative to the output folder.
    file: &'a str,
    document: &'a Value,
    stem: &'a str,
    /// A customer managed policy (split proposal, or `--managed`) rather than inline.
    managed: bool,
}

fn docs<'a>(rec: &'a Recommendation, target: PolicyTarget) -> Vec<Doc<'a>> {
    if !rec.ok {
        return Vec::new();
    }
    let split = rec.file_stems.iter().any(|s| s.contains(".managed-"));
    rec.policy_files
        .iter()
        .zip(&rec.documents)
        .zip(&rec.file_stems)
        .map(|((file, document), stem)| Doc { file, document, stem, managed: split || target == PolicyTarget::Managed })
        .collect()
}

/// A role's trimmed trust policy to deploy: only one that differs from today's.
struct TrustDoc<'a> {
    file: &'a str,
    document: &'a Value,
    /// `AWS arn:aws:iam::999988887777:root, ...`: what the proposal no longer admits.
    removes: String,
}

fn trust_doc(rec: &Recommendation) -> Option<TrustDoc<'_>> {
    let t = rec.trust.as_ref().filter(|t| t.changed)?;
    let (Some(document), Some(file)) = (&t.proposed, &t.file) else { return None };
    let removes: Vec<String> = t.removed.iter().map(|p| format!("{} {}", p.kind, p.value)).collect();
    let removes = if removes.is_empty() { "no principal, only narrowed".to_string() } else { removes.join(", ") };
    Some(TrustDoc { file, document, removes })
}

fn partition(arn: &str) -> &str {
    crate::arn::partition_of(arn).unwrap_or("aws")
}

fn managed_arn(rec: &Recommendation, name: &str) -> String {
    format!("arn:{}:iam::{}:policy/{name}", partition(&rec.arn), rec.account)
}

/// Every file of the requested forms, as (path relative to the output folder, content), sorted.
pub fn render(
    recs: &[Recommendation],
    replaced: &BTreeMap<String, Replaced>,
    target: PolicyTarget,
    forms: &[Form],
) -> Vec<(String, String)> {
    let mut by_account: BTreeMap<&str, Vec<&Recommendation>> = BTreeMap::new();
    for r in recs {
        by_account.entry(r.account.as_str()).or_default().push(r);
    }
    let none = Replaced::default();
    let forms: BTreeSet<Form> = forms.iter().copied().collect();
    let mut out = Vec::new();
    for (account, recs) in by_account {
        let dir = format!("deploy/{}", crate::output::segment(account));
        let items: Vec<(&Recommendation, &Replaced)> =
            recs.iter().map(|&r| (r, replaced.get(&r.arn).unwrap_or(&none))).collect();
        for form in &forms {
            let (name, text) = match form {
                Form::Cli => ("apply.sh", cli_script(account, &items, target)),
                Form::Terraform => ("main.tf", terraform(account, &items, target)),
                Form::CloudFormation => ("template.json", cloudformation(account, &items, target)),
            };
            out.push((format!("{dir}/{name}"), text));
        }
    }
    out.sort();
    out
}

/// A word for the shell: single-quoted, `'` as `'\''`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// (`--role-name`, `role`) per kind: the option naming the principal and the word in
/// `put-role-policy`, `attach-role-policy`, ...
fn cli_words(kind: PrincipalKind) -> (&'static str, &'static str) {
    match kind {
        PrincipalKind::User => ("--user-name", "user"),
        PrincipalKind::Role => ("--role-name", "role"),
        PrincipalKind::Group => ("--group-name", "group"),
    }
}

fn cli_script(account: &str, items: &[(&Recommendation, &Replaced)], target: PolicyTarget) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "#!/usr/bin/env bash");
    let _ =
        writeln!(s, "# trailtrim least-privilege policies for account {account} (`trailtrim recommend --emit cli`).");
    s.push_str(
        "# Review every command before running it, with credentials of this account. The removal of what\n\
         # each proposal replaces is commented out: run it only once the new policies are in place and tested.\n\
         set -euo pipefail\n\
         # The policy documents are read from the output folder, two levels up from this script.\n\
         cd \"$(dirname \"$0\")/../..\"\n",
    );
    for (rec, replaced) in items {
        let (opt, word) = cli_words(rec.kind);
        let who = shell_quote(&rec.name);
        let _ = writeln!(s, "\n# {} {} ({})", rec.kind.as_str(), rec.name, rec.arn);
        let docs = docs(rec, target);
        if let Some(t) = trust_doc(rec) {
            // Trimming a trust policy removes who may assume the role: like every removal, it
            // is left to the reviewer (a principal outside the window would be locked out).
            let _ =
                writeln!(s, "# Trust policy trimmed to the principals that assumed the role (removes {}).", t.removes);
            s.push_str("# Uncomment after review:\n");
            let _ = writeln!(
                s,
                "# aws iam update-assume-role-policy {opt} {who} --policy-document {}",
                shell_quote(&format!("file://{}", t.file))
            );
        }
        if !rec.ok {
            s.push_str("# not written: the proposal failed verification (see report.md)\n");
            continue;
        }
        if docs.is_empty() {
            s.push_str("# no proposal: no permission was used in the window\n");
        }
        let mut new_inline = BTreeSet::new();
        for d in &docs {
            let name = policy_name(d.stem);
            let file = shell_quote(&format!("file://{}", d.file));
            if d.managed {
                let _ =
                    writeln!(s, "aws iam create-policy --policy-name {} --policy-document {file}", shell_quote(&name));
                let _ = writeln!(
                    s,
                    "aws iam attach-{word}-policy {opt} {who} --policy-arn {}",
                    shell_quote(&managed_arn(rec, &name))
                );
            } else {
                new_inline.insert(name.clone());
                let _ = writeln!(
                    s,
                    "aws iam put-{word}-policy {opt} {who} --policy-name {} --policy-document {file}",
                    shell_quote(&name)
                );
            }
        }
        if replaced.inline.is_empty() && replaced.managed.is_empty() && replaced.groups.is_empty() {
            continue;
        }
        s.push_str("# What the proposal replaces (after testing):\n");
        for p in &replaced.inline {
            if new_inline.contains(p) {
                let _ = writeln!(s, "# (inline policy {p} is replaced by the put above)");
            } else {
                let _ = writeln!(s, "# aws iam delete-{word}-policy {opt} {who} --policy-name {}", shell_quote(p));
            }
        }
        for arn in &replaced.managed {
            let _ = writeln!(s, "# aws iam detach-{word}-policy {opt} {who} --policy-arn {}", shell_quote(arn));
        }
        for g in &replaced.groups {
            let _ = writeln!(s, "# aws iam remove-user-from-group --user-name {who} --group-name {}", shell_quote(g));
        }
    }
    s
}

/// A Terraform string literal: `"` and `\` escaped, and the template sequences `${` and `%{`
/// doubled so that nothing in a name is interpolated.
pub fn hcl_string(s: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A valid, unique identifier from `raw`: characters other than letters, digits, `_` and `-`
/// become `_`, a leading digit or `-` gets a `_` before it, and a taken one gets `_2`, `_3`, ...
fn unique_id(raw: &str, taken: &mut BTreeSet<String>, keep: impl Fn(char) -> bool, sep: &str) -> String {
    let mut base: String = raw.chars().map(|c| if keep(c) { c } else { '_' }).collect();
    if !base.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        base.insert(0, '_');
    }
    let mut id = base.clone();
    let mut n = 2;
    while !taken.insert(id.clone()) {
        id = format!("{base}{sep}{n}");
        n += 1;
    }
    id
}

/// A Terraform resource name for a proposal document: `<kind>_<stem>`, sanitised, unique.
pub fn terraform_id(kind: PrincipalKind, stem: &str, taken: &mut BTreeSet<String>) -> String {
    unique_id(&format!("{}_{stem}", kind.as_str()), taken, |c| c.is_ascii_alphanumeric() || c == '_' || c == '-', "_")
}

fn terraform(account: &str, items: &[(&Recommendation, &Replaced)], target: PolicyTarget) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# trailtrim least-privilege policies for account {account} (`trailtrim recommend --emit terraform`)."
    );
    s.push_str(
        "# The documents are read from the output folder's policies/. What each proposal replaces is listed in\n\
         # comments: remove it from your configuration once the new policies are in place and tested.\n\
         # Trimmed trust policies are comments too: the AWS provider has no resource that manages only a role's\n\
         # trust policy (it is the assume_role_policy argument of the aws_iam_role that defines the role, and an\n\
         # aws_iam_role here would take over the whole role: path, boundary, session duration). Set it there.\n",
    );
    let mut taken = BTreeSet::new();
    for (rec, replaced) in items {
        let docs = docs(rec, target);
        let trust = trust_doc(rec);
        if docs.is_empty() && trust.is_none() {
            continue;
        }
        let word = rec.kind.as_str();
        let _ = writeln!(s, "\n# {} {} ({})", word, rec.name, rec.arn);
        if let Some(t) = trust {
            let path = hcl_string(&format!("/../../{}", t.file));
            let _ = writeln!(
                s,
                "# trimmed trust policy (removes {}); in this role's aws_iam_role, once reviewed:\n#   assume_role_policy = file(\"${{path.module}}{}\")",
                t.removes,
                &path[1..path.len() - 1]
            );
        }
        for p in &replaced.inline {
            let _ = writeln!(s, "# replaces inline policy {p}");
        }
        for arn in &replaced.managed {
            let _ = writeln!(s, "# replaces attached policy {arn}");
        }
        for g in &replaced.groups {
            let _ = writeln!(s, "# replaces membership of group {g}");
        }
        for d in docs {
            let id = terraform_id(rec.kind, d.stem, &mut taken);
            let name = hcl_string(&policy_name(d.stem));
            let who = hcl_string(&rec.name);
            // `${path.module}` is interpolated; the rest of the path is escaped.
            let path = hcl_string(&format!("/../../{}", d.file));
            let file = format!("file(\"${{path.module}}{}\")", &path[1..path.len() - 1]);
            if d.managed {
                let _ =
                    writeln!(s, "\nresource \"aws_iam_policy\" \"{id}\" {{\n  name   = {name}\n  policy = {file}\n}}");
                let _ = writeln!(
                    s,
                    "\nresource \"aws_iam_{word}_policy_attachment\" \"{id}\" {{\n  {word:<10} = {who}\n  policy_arn = aws_iam_policy.{id}.arn\n}}"
                );
            } else {
                let pad = " ".repeat(6usize.saturating_sub(word.len()));
                let _ = writeln!(
                    s,
                    "\nresource \"aws_iam_{word}_policy\" \"{id}\" {{\n  name   = {name}\n  {word}{pad} = {who}\n  policy = {file}\n}}"
                );
            }
        }
    }
    s
}

/// A CloudFormation logical id: letters and digits only (each other character starts a new
/// capitalised word), unique.
pub fn logical_id(kind: PrincipalKind, stem: &str, taken: &mut BTreeSet<String>) -> String {
    let mut id = String::new();
    for word in format!("{} {stem} policy", kind.as_str()).split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut cs = word.chars();
        if let Some(first) = cs.next() {
            id.push(first.to_ascii_uppercase());
            id.extend(cs);
        }
    }
    unique_id(&id, taken, |c| c.is_ascii_alphanumeric(), "")
}

fn cloudformation(account: &str, items: &[(&Recommendation, &Replaced)], target: PolicyTarget) -> String {
    let mut resources = serde_json::Map::new();
    let mut replaces: Vec<String> = Vec::new();
    let mut taken = BTreeSet::new();
    let mut trusts: Vec<Value> = Vec::new();
    for (rec, replaced) in items {
        if let Some(t) = trust_doc(rec) {
            trusts.push(json!({"RoleName": rec.name, "File": t.file, "Removes": t.removes,
                "AssumeRolePolicyDocument": t.document}));
        }
        let docs = docs(rec, target);
        if docs.is_empty() {
            continue;
        }
        for p in &replaced.inline {
            replaces.push(format!("{} {}: inline {p}", rec.kind.as_str(), rec.name));
        }
        for arn in &replaced.managed {
            replaces.push(format!("{} {}: attached {arn}", rec.kind.as_str(), rec.name));
        }
        for g in &replaced.groups {
            replaces.push(format!("user {}: group {g}", rec.name));
        }
        for d in docs {
            let id = logical_id(rec.kind, d.stem, &mut taken);
            let name = policy_name(d.stem);
            let resource = if d.managed {
                let holders = match rec.kind {
                    PrincipalKind::User => "Users",
                    PrincipalKind::Role => "Roles",
                    PrincipalKind::Group => "Groups",
                };
                json!({"Type": "AWS::IAM::ManagedPolicy", "Properties": {
                    "ManagedPolicyName": name, "PolicyDocument": d.document, holders: [rec.name]}})
            } else {
                let (ty, holder) = match rec.kind {
                    PrincipalKind::User => ("AWS::IAM::UserPolicy", "UserName"),
                    PrincipalKind::Role => ("AWS::IAM::RolePolicy", "RoleName"),
                    PrincipalKind::Group => ("AWS::IAM::GroupPolicy", "GroupName"),
                };
                json!({"Type": ty, "Properties": {"PolicyName": name, "PolicyDocument": d.document, holder: rec.name}})
            };
            resources.insert(id, resource);
        }
    }
    let mut description = format!("trailtrim least-privilege policies for account {account}.");
    if !replaces.is_empty() {
        description.push_str(" Remove what they replace once they are in place and tested: ");
        description.push_str(&replaces.join("; "));
    }
    // CloudFormation caps a description at 1,024 characters.
    if description.chars().count() > 1024 {
        description = description.chars().take(1021).collect::<String>() + "...";
    }
    let mut template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": description,
        "Resources": Value::Object(resources),
    });
    // CloudFormation sets a trust policy only as the AssumeRolePolicyDocument of an AWS::IAM::Role
    // it manages; a Role resource here would try to create the existing role (and fail the
    // stack). The reviewed documents ride in the template's Metadata, for the stack that owns
    // each role (or `update-assume-role-policy`).
    if !trusts.is_empty() {
        template["Metadata"] = json!({"TrailtrimTrustPolicies": {
            "Note": "Trimmed trust policies, not deployed by this template: set each as the AssumeRolePolicyDocument of the AWS::IAM::Role that defines the role, once reviewed.",
            "Roles": trusts,
        }});
    }
    let template = super::compact::canonical(template);
    let mut text = serde_json::to_string_pretty(&template).unwrap_or_default();
    text.push('\n');
    text
}
