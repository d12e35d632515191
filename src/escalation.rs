//! Known IAM privilege-escalation paths (DataDog's pathfinding.cloud catalogue, shipped as
//! `data/escalation-paths.json`; source and licence in `data/LICENSES.md`), and which of them a
//! principal's granted permissions enable or its calls used.
//!
//! A path is *granted* when the principal is allowed (at least on some resources or under some
//! conditions) every permission the path requires; *used* when it successfully called every one
//! of them in the window. Prerequisites (an existing role to pass, a policy already attached)
//! are not checked: a granted path is a possibility to review, not a proof.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// One escalation path.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Path {
    pub id: String,
    pub name: String,
    /// `self-escalation`, `principal-access`, `new-passrole`, `existing-passrole`.
    pub category: String,
    pub services: Vec<String>,
    /// IAM actions the path needs, all of them.
    pub required: Vec<String>,
    pub prerequisites: Vec<String>,
}

#[derive(Deserialize)]
struct Doc {
    paths: Vec<Path>,
}

/// The catalogue, sorted by id.
pub fn paths() -> &'static [Path] {
    static PATHS: OnceLock<Vec<Path>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let doc: Doc = serde_json::from_str(include_str!("../data/escalation-paths.json"))
            .expect("data/escalation-paths.json is valid (checked by a test)");
        doc.paths
    })
}

/// Per principal: the ids of the paths its permissions enable and of those it used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Escalation {
    pub granted: Vec<String>,
    pub used: Vec<String>,
}

/// Paths whose every required action `has` answers true for (actions as the catalogue spells
/// them; `has` should compare case-insensitively where it matters).
fn matching(has: impl Fn(&str) -> bool) -> Vec<String> {
    paths()
        .iter()
        .filter(|p| !p.required.is_empty() && p.required.iter().all(|a| has(a)))
        .map(|p| p.id.clone())
        .collect()
}

/// `granted`: actions the principal is allowed at least partly; `used`: actions it called
/// successfully in the window.
pub fn assess(granted: &BTreeSet<String>, used: &BTreeSet<String>) -> Escalation {
    let lower = |s: &BTreeSet<String>| s.iter().map(|a| a.to_ascii_lowercase()).collect::<BTreeSet<_>>();
    let (g, u) = (lower(granted), lower(used));
    Escalation {
        granted: matching(|a| g.contains(&a.to_ascii_lowercase())),
        used: matching(|a| u.contains(&a.to_ascii_lowercase())),
    }
}

/// Risk rank of a path category for ordering reports: direct self-escalation first.
pub fn category_rank(category: &str) -> u8 {
    match category {
        "self-escalation" => 0,
        "principal-access" => 1,
        "new-passrole" => 2,
        "existing-passrole" => 3,
        _ => 4,
    }
}

/// The path of an id.
pub fn path(id: &str) -> Option<&'static Path> {
    paths().iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::Account;
    use crate::catalog::catalog;

    #[test]
    fn the_catalogue_is_whole_and_names_real_actions() {
        let all = paths();
        assert_eq!(all.len(), 65);
        let ids: BTreeSet<&str> = all.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids.len(), 65, "ids are unique");
        for p in all {
            assert!(!p.required.is_empty(), "{}", p.id);
            for a in &p.required {
                assert!(catalog().canonical(a).is_some(), "{}: {a} is not in the action catalog", p.id);
            }
        }
    }

    /// A principal per path, granted exactly the path's permissions (through the account model
    /// and the policy engine), must have that path, and no path needing more.
    #[test]
    fn principals_built_for_a_path_have_it() {
        let chosen = [
            "iam-001",
            "iam-002",
            "iam-004",
            "iam-005",
            "iam-007",
            "iam-009",
            "iam-011",
            "iam-013",
            "ec2-001",
            "lambda-001",
            "glue-001",
            "ssm-001",
            "sts-001",
            "cloudformation-001",
            "ecs-001",
            "sagemaker-001",
        ];
        let mut roles = Vec::new();
        for id in chosen {
            let p = path(id).unwrap_or_else(|| panic!("{id} in the catalogue"));
            let doc = serde_json::json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": p.required, "Resource": "*"}]});
            roles.push(serde_json::json!({
                "RoleName": format!("r-{id}"), "RoleId": format!("AROA{}", id.replace('-', "").to_uppercase()),
                "Arn": format!("arn:aws:iam::111122223333:role/r-{id}"), "Path": "/",
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": doc}],
                "AttachedManagedPolicies": [], "InstanceProfileList": [], "Tags": []
            }));
        }
        let text =
            serde_json::json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": []})
                .to_string();
        let account = Account::from_authorization_details_str(&text, "test").unwrap();
        for id in chosen {
            let arn = format!("arn:aws:iam::111122223333:role/r-{id}");
            let granted = crate::usage::granted_actions(&account, &arn);
            let e = assess(&granted, &BTreeSet::new());
            assert!(e.granted.contains(&id.to_owned()), "{id}: {:?}", e.granted);
            let need = &path(id).unwrap().required;
            for other in &e.granted {
                let theirs = &path(other).unwrap().required;
                assert!(theirs.iter().all(|a| need.contains(a)), "{id} also has {other}, which needs {theirs:?}");
            }
            assert!(e.used.is_empty());
            // Used: every required action called.
            let used: BTreeSet<String> = need.iter().cloned().collect();
            assert!(assess(&granted, &used).used.contains(&id.to_owned()));
            // One action short: not used.
            let short: BTreeSet<String> = need.iter().skip(1).cloned().collect();
            assert!(!assess(&granted, &short).used.contains(&id.to_owned()));
        }
    }
}
