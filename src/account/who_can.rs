//! "Who can perform this action on this resource?": every principal of the account model the
//! policies allow, through its identity policies or the resource's policy, and the principals of
//! other accounts (or services, or anyone) the resource policy grants directly.
//!
//! A principal is decided with the context keys IAM derives from it (name, id, ARN, account,
//! tags); every other condition key (source IP, VPC endpoint, resource tags, MFA, ...) is
//! unknown, and an allow that depends on one is `Conditional`, listing those conditions.

use serde::Serialize;

use super::Account;
use crate::arn::root_arn;
use crate::policy::{evaluate_observed, Decision, Effect, PolicySet, Principals, Request, Statement, StatementRef};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhoCan {
    pub arn: String,
    /// `identity` or `resource`.
    pub via: &'static str,
    /// `Allow` or `Conditional`.
    pub decision: &'static str,
    /// The conditions that must hold (`Operator key value[,value]`), for `Conditional`.
    pub conditions: Vec<String>,
    /// The allowing statements, `policy#Sid` (or `policy#index`).
    pub statements: Vec<String>,
}

/// Keys IAM sets from the principal itself: known from the model, never "unknown".
fn principal_key(key_lower: &str) -> bool {
    key_lower.starts_with("aws:principaltag/")
        || matches!(
            key_lower,
            "aws:username" | "aws:userid" | "aws:principalarn" | "aws:principalaccount" | "aws:principaltype"
        )
}

fn statement<'a>(set: &'a PolicySet, r: &StatementRef) -> Option<&'a Statement> {
    set.identity
        .iter()
        .chain(&set.boundaries)
        .chain(set.scps.iter().flatten())
        .chain(set.rcps.iter().flatten())
        .chain(&set.session_policies)
        .chain(set.resource_policy.iter())
        .find(|p| p.name == r.policy && p.kind == r.kind)
        .and_then(|p| p.policy.statements.get(r.index))
}

fn describe(st: &Statement, keep: impl Fn(&str) -> bool) -> Vec<String> {
    st.conditions
        .iter()
        .filter(|c| keep(c.key_lower()))
        .map(|c| format!("{} {} {}", c.operator, c.key, c.values.join(",")))
        .collect()
}

/// The principals of other accounts, services and anyone that the resource policy's Allow
/// statements name for the request (those of the account are decided through the model).
fn foreign_grants(account: &Account, set: &PolicySet, action: &str, resource: &str) -> Vec<WhoCan> {
    let Some(rp) = &set.resource_policy else { return Vec::new() };
    let mut out: Vec<WhoCan> = Vec::new();
    let own =
        |entry: &str| entry == account.account_id || crate::arn::account_of(entry) == Some(account.account_id.as_str());
    for (i, st) in rp.policy.statements.iter().enumerate() {
        let Some(Principals { negated: false, any, entries }) = &st.principal else { continue };
        if st.effect != Effect::Allow || !st.matches_action(action) || !st.matches_resource(resource) {
            continue;
        }
        let mut names: Vec<String> = entries
            .values()
            .flatten()
            .filter(|e| !own(e))
            .map(|e| if crate::names::is_account_id(e) { root_arn(account.partition(), e) } else { e.clone() })
            .collect();
        if *any {
            names.push("*".to_owned());
        }
        let conditions = describe(st, |_| true);
        let r = StatementRef { policy: rp.name.clone(), kind: rp.kind, sid: st.sid.clone(), index: i };
        for arn in names {
            match out.iter_mut().find(|w| w.arn == arn) {
                Some(w) => w.statements.push(r.to_string()),
                None => out.push(WhoCan {
                    arn,
                    via: "resource",
                    decision: if conditions.is_empty() { "Allow" } else { "Conditional" },
                    conditions: conditions.clone(),
                    statements: vec![r.to_string()],
                }),
            }
        }
    }
    out
}

impl Account {
    /// Every principal that may perform `action` on `resource`, sorted by ARN.
    pub fn who_can(&self, action: &str, resource: &str) -> Vec<WhoCan> {
        let mut out = Vec::new();
        let unknown = |k: &str| !principal_key(k);
        let resource_account = crate::arn::account_of(resource).unwrap_or(&self.account_id).to_owned();
        for (arn, _) in self.principals() {
            let Some(set) = self.policy_set_for_request(&arn, action, resource) else { continue };
            let req = Request {
                principal: arn.clone(),
                principal_account: Some(self.account_id.clone()),
                action: action.to_owned(),
                resource: resource.to_owned(),
                resource_account: Some(resource_account.clone()),
                context: self.base_context(&arn),
            };
            let ev = evaluate_observed(&set, &req, &unknown);
            if ev.decision != Decision::Allow {
                continue;
            }
            let via = if ev.statements.iter().any(|s| s.kind == crate::policy::PolicyKind::Identity) {
                "identity"
            } else {
                "resource"
            };
            let mut conditions: Vec<String> = ev
                .assumed
                .iter()
                .filter_map(|r| statement(&set, r))
                .flat_map(|st| describe(st, |k| unknown(k)))
                .collect();
            conditions.sort();
            conditions.dedup();
            out.push(WhoCan {
                arn,
                via,
                decision: if ev.assumed.is_empty() { "Allow" } else { "Conditional" },
                conditions,
                statements: ev.statements.iter().map(|s| s.to_string()).collect(),
            });
        }
        if let Some(set) = self.policy_set_for_request(&self.root_arn(), action, resource) {
            out.extend(foreign_grants(self, &set, action, resource));
        }
        out.sort_by(|a, b| a.arn.cmp(&b.arn));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_keys_are_known() {
        assert!(principal_key("aws:principaltag/team"));
        assert!(principal_key("aws:username"));
        assert!(!principal_key("aws:sourceip"));
        assert!(!principal_key("aws:resourcetag/env"));
    }
}
