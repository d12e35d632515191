//! Least-privilege recommendations: from a principal's current policies and what it was seen
//! doing to a trimmed policy that still allows every observed call and nothing the current
//! policies do not allow.
//!
//! Pure: the caller (the `recommend` command) reads usage facts and the account model, and
//! writes the documents and reports this module returns.
//!
//! Pipeline per principal ([`recommend`]):
//! 1. `trim`: which catalog actions the current policies grant; which observed calls they allow
//!    and through which statements (provenance); dead statements, sparse wildcards, evidence,
//!    the granted-versus-used diff.
//! 2. `resources`: observed ARNs generalised into patterns no wider than the allowing statement.
//! 3. `compact`: grouping into statements, then (only when over the size limit) merging,
//!    service wildcards and splitting into several documents.
//! 4. `verify`: replay of every allowed observed call against the proposal, and a check that the
//!    proposal grants nothing the original does not. A failing proposal is not `ok`.
//! 5. `render`: report.md and the CSV summary.
//!
//! Definitions used in the counts:
//! - granted: catalog actions the current policy set (identity ∩ boundary ∩ session ∩ SCPs)
//!   allows at least on some resource or under some condition ([`crate::policy::Access`] not
//!   `None`);
//! - used: distinct actions of observed successful calls that the current policies allow;
//! - unobservable: granted actions CloudTrail cannot show (data events not logged, ...), unused;
//! - removed: granted actions the proposal no longer grants at all.
//!
//! Unobservable granted actions are dropped by default, as IAM Access Analyzer does
//! (least privilege); `keep_unobservable` keeps them with their original statements' resources
//! and conditions. Either way the report lists them with `?` and the notes say which was done.

mod compact;
pub mod emit;
pub mod explain;
pub mod incidents;
mod render;
mod resources;
#[cfg(test)]
mod synthetic;
mod trim;
pub mod trust;
mod verify;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::policy::{NamedPolicy, PolicySet};

pub use compact::policy_size;
pub use incidents::{IncidentFinding, IncidentUse};
pub use render::{render_csv, render_markdown, render_table};
pub use resources::{generalise, pattern_covers, Generalise};
pub use verify::verify;

/// IAM size limits (characters, whitespace excluded, as IAM counts them: [`policy_size`]). The
/// inline limits apply to the sum of all inline policies of one user, group or role.
pub const ROLE_INLINE_LIMIT: usize = 10_240;
pub const GROUP_INLINE_LIMIT: usize = 5_120;
pub const USER_INLINE_LIMIT: usize = 2_048;
pub const MANAGED_LIMIT: usize = 6_144;
/// Default quota of managed policies attached to one user or role.
pub const MANAGED_PER_PRINCIPAL: usize = 10;

/// One distinct successful call (action, resource, context) of the principal, aggregated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedCall {
    /// Canonical action, e.g. `s3:GetObject`.
    pub action: String,
    /// Resource ARN, None when the event did not name one (evaluated as `*`).
    pub resource: Option<String>,
    pub count: u64,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    pub sample_event_ids: Vec<String>,
    /// For `iam:PassRole`: the service the role was passed to (`ec2.amazonaws.com`).
    pub passed_to_service: Option<String>,
    /// Request context for conditional statements, e.g. (`aws:SourceIp`, `10.0.1.5`). A key
    /// given several times is multivalued.
    pub context: Vec<(String, String)>,
}

/// An action the principal tried and was refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeniedCall {
    pub action: String,
    pub count: u64,
    pub error_codes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    User,
    Role,
    /// An IAM group: a policy holder, not a principal that makes calls. The `recommend` command
    /// trims users and roles (a user's proposal includes what its groups grant); the kind exists
    /// so that limits and deployable output are right for group policies too.
    Group,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Role => "role",
            PrincipalKind::Group => "group",
        }
    }

    /// Directory under `policies/<account>/`.
    pub fn dir(self) -> &'static str {
        match self {
            PrincipalKind::User => "users",
            PrincipalKind::Role => "roles",
            PrincipalKind::Group => "groups",
        }
    }

    /// Inline policy size limit (IAM counts the aggregate of all inline policies).
    pub fn inline_limit(self) -> usize {
        match self {
            PrincipalKind::User => USER_INLINE_LIMIT,
            PrincipalKind::Role => ROLE_INLINE_LIMIT,
            PrincipalKind::Group => GROUP_INLINE_LIMIT,
        }
    }
}

/// Everything known about one principal.
#[derive(Debug, Clone)]
pub struct PrincipalInput {
    pub arn: String,
    pub kind: PrincipalKind,
    pub name: String,
    pub account: String,
    /// Identity policies (user + groups, or role; managed and inline), boundary, SCP levels and
    /// session policies. `resource_policy` here is ignored: see `resource_policies`.
    pub policies: PolicySet,
    /// Resource-based policies by resource ARN or ARN prefix (`arn:aws:s3:::bucket` applies to
    /// the bucket and its objects). The longest matching key applies to a call.
    pub resource_policies: BTreeMap<String, NamedPolicy>,
    pub created_ms: Option<i64>,
    /// Successful calls made by the principal itself.
    pub observed: Vec<ObservedCall>,
    pub denied: Vec<DeniedCall>,
    /// Granted actions CloudTrail could not show (canonical names).
    pub unobservable: BTreeSet<String>,
    /// Actions whose only calls were in the events of high or critical findings; those calls
    /// are not in `observed` (see [`incidents`]).
    pub incident_only: Vec<IncidentUse>,
    pub window_start_ms: i64,
    pub window_end_ms: i64,
}

impl PrincipalInput {
    /// The resource policy for a resource: the longest key equal to it or a prefix of it that
    /// ends at a `/` or `:` boundary.
    pub fn resource_policy_for(&self, resource: &str) -> Option<(&str, &NamedPolicy)> {
        if self.resource_policies.is_empty() {
            return None;
        }
        // Candidate keys are the resource itself and its prefixes ending just before or at a
        // boundary: one map lookup each, longest first.
        let mut cuts: Vec<usize> = vec![resource.len()];
        for (i, b) in resource.bytes().enumerate().rev() {
            if b == b'/' || b == b':' {
                cuts.push(i + 1);
                cuts.push(i);
            }
        }
        cuts.into_iter()
            .find_map(|n| self.resource_policies.get_key_value(&resource[..n]).map(|(k, p)| (k.as_str(), p)))
    }
}

/// Which IAM object the documents are meant for (decides the size limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyTarget {
    /// put-role-policy / put-user-policy; when the proposal does not fit the inline limit it is
    /// split into managed-policy-sized documents (inline limits are per principal, so several
    /// inline documents would not help).
    Inline,
    /// Customer managed policies (6 144 characters each).
    Managed,
}

#[derive(Debug, Clone)]
pub struct RecommendOptions {
    /// Statements whose Sid starts with this are carried over untouched.
    pub keep_sid_prefix: String,
    /// Observation windows shorter than this give low confidence.
    pub min_days: u32,
    /// Directory segments below a bucket/root a generated `prefix*` keeps at most.
    pub max_prefix_wildcard_depth: usize,
    /// Largest explicit resource list per root before wildcards are considered.
    pub list_limit: usize,
    /// Keep granted actions CloudTrail cannot observe (default false, see the module docs).
    pub keep_unobservable: bool,
    /// Fewer observed events than this gives at most medium confidence.
    pub few_events: u64,
    pub target: PolicyTarget,
    /// Principal ARN globs to skip (`recommend_all`).
    pub exclude: Vec<String>,
}

impl Default for RecommendOptions {
    fn default() -> Self {
        RecommendOptions {
            keep_sid_prefix: "Keep".into(),
            min_days: 30,
            max_prefix_wildcard_depth: 1,
            list_limit: 10,
            keep_unobservable: false,
            few_events: 10,
            target: PolicyTarget::Inline,
            exclude: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// Outcome of the static check (every request, not only the observed ones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StaticCheck {
    /// For every action a proposal Allow statement names (wildcards expanded over the catalog)
    /// and each of its resource patterns, an original statement allows it under the same or
    /// fewer conditions, and every original Deny that applies is kept.
    #[default]
    Proved,
    Failed,
}

/// A request the proposal may allow and the original does not (or not under the same
/// conditions): the first one the static check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counterexample {
    pub action: String,
    /// A resource pattern of the proposal (`*` when the check is not about one resource).
    pub resource: String,
    /// The proposal statement (Sid, or `(no Sid)`), or the original deny that is missing.
    pub statement: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Distinct observed calls (action, resource, context) the original allowed and that were
    /// replayed against the proposal.
    pub replayed_calls: usize,
    /// Events behind them (sum of counts).
    pub replayed_events: u64,
    pub still_allowed: usize,
    pub broader_than_original: bool,
    /// The static check over all requests: `proved` or `failed` (then see `counterexample`).
    #[serde(rename = "static")]
    pub static_check: StaticCheck,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
    /// Why the proposal was rejected (empty when it passed).
    pub failures: Vec<String>,
}

/// A wildcard of an original statement that was exercised for only a few of its actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SparseWildcard {
    /// `policy#sid` or `policy#index`.
    pub statement: String,
    pub pattern: String,
    pub expands_to: usize,
    pub used: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub action: String,
    pub count: u64,
    pub first_seen: String,
    pub last_seen: String,
    pub sample_event_ids: Vec<String>,
    /// Original statements that allowed the calls (provenance).
    pub statements: Vec<String>,
    /// Distinct resources seen (`*` when the events named none).
    pub resources: usize,
    /// `statement: keys` when the calls were allowed only if that statement's conditions on
    /// keys CloudTrail does not record held (the statement "may allow"; a successful call says
    /// it did). The action is then kept with the statement's resources and conditions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_conditions: Vec<String>,
}

/// One line of the granted-versus-used diff.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct DiffLine {
    /// `"  "` used, `"- "` granted but unused, `"? "` granted but unobservable,
    /// `"+ "` used but no longer granted.
    pub marker: String,
    /// An action, or `service:*` standing for `count` unused actions of a fully granted service.
    pub action: String,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    pub arn: String,
    pub account: String,
    pub kind: PrincipalKind,
    pub name: String,
    /// Paths relative to OUT, parallel to `documents` (empty when not `ok`).
    pub policy_files: Vec<String>,
    #[serde(skip)]
    pub documents: Vec<Value>,
    /// `name`, or `name-1`, `name-2`, ... when split.
    #[serde(skip)]
    pub file_stems: Vec<String>,
    pub granted_actions: usize,
    pub used_actions: usize,
    pub removed_actions: usize,
    pub unobservable_actions: usize,
    pub confidence: Confidence,
    pub confidence_reasons: Vec<String>,
    pub verification: Verification,
    pub dead_statements: Vec<String>,
    pub sparse_wildcards: Vec<SparseWildcard>,
    pub used_not_granted: Vec<String>,
    /// Each of `used_not_granted` checked against the policies at the time of its calls (set by
    /// the caller, which rebuilds the account as of then): granted then and removed since, or
    /// never granted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub used_not_granted_history: Vec<NotGrantedUse>,
    pub denied_only: Vec<String>,
    /// Actions used only in incident findings' events: not evidence of need, not kept.
    pub incident_only: Vec<IncidentUse>,
    pub evidence: Vec<Evidence>,
    pub diff: Vec<DiffLine>,
    pub policy_sizes: Vec<usize>,
    pub notes: Vec<String>,
    /// False: the proposal failed verification and must not be written.
    pub ok: bool,
    /// Roles: the trust policy's admitted principals versus those that assumed the role, and
    /// the proposed trust policy (set by the caller, which reads the assumptions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust: Option<trust::Trust>,
    /// A role several groups of people use differently (readers, each kind of writer): one
    /// permission set per group is narrower than the shared one (set by the caller).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split_by_people: Option<crate::usage::people::RolePeople>,
}

/// Whether a used action that the current policies do not grant was granted when it was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotGrantedStatus {
    /// The policies at the time of a call allowed it; a later IAM change removed it.
    GrantedThenRemovedSince,
    /// The policies at the time of its calls did not allow it either.
    NeverGranted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotGrantedUse {
    pub action: String,
    pub status: NotGrantedStatus,
    /// The instant checked: the call time at which the policies allowed it, else its last call.
    pub at: String,
    /// The statements that allowed it then (`policy#index`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<String>,
    /// What the model at that instant could not reconstruct about this principal (its policies,
    /// groups, boundary): the status may be wrong.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uncertain: Vec<String>,
}

/// Check `rec.used_not_granted` against the policies of the principal at the times of its calls:
/// `policies_at(ms)` gives the principal's policy set at an instant, and the model's
/// uncertainties relevant to the principal then. Fills `used_not_granted_history` and adds a
/// note per action granted then.
pub fn check_not_granted(
    rec: &mut Recommendation,
    input: &PrincipalInput,
    mut policies_at: impl FnMut(i64) -> Option<(PolicySet, Vec<String>)>,
) {
    let mut out = Vec::new();
    for action in &rec.used_not_granted {
        let calls: Vec<&ObservedCall> = input
            .observed
            .iter()
            .filter(|c| crate::catalog::catalog().canonical(&c.action).as_deref() == Some(action.as_str()))
            .collect();
        let mut times: Vec<i64> = calls.iter().flat_map(|c| [c.last_seen_ms, c.first_seen_ms]).collect();
        // Latest first: the last time it was granted is the one that matters.
        times.sort_unstable_by(|a, b| b.cmp(a));
        times.dedup();
        let Some(&last) = times.first() else { continue };
        let mut found = None;
        let mut uncertain: Vec<String> = Vec::new();
        for &t in &times {
            let Some((set, unsure)) = policies_at(t) else { continue };
            for u in unsure {
                if !uncertain.contains(&u) {
                    uncertain.push(u);
                }
            }
            if let Some(statements) = calls.iter().find_map(|c| trim::allowed_by(input, &set, c)) {
                found = Some((t, statements));
                break;
            }
        }
        let iso = |ms: i64| crate::usage::iso(ms);
        out.push(match found {
            Some((t, statements)) => {
                let by = if statements.is_empty() { String::new() } else { format!(" by {}", statements.join(", ")) };
                rec.notes
                    .push(format!("{action} was granted when it was used ({}){by} and has been removed since", iso(t)));
                NotGrantedUse {
                    action: action.clone(),
                    status: NotGrantedStatus::GrantedThenRemovedSince,
                    at: iso(t),
                    statements,
                    uncertain,
                }
            }
            None => NotGrantedUse {
                action: action.clone(),
                status: NotGrantedStatus::NeverGranted,
                at: iso(last),
                statements: Vec::new(),
                uncertain,
            },
        });
    }
    rec.used_not_granted_history = out;
}

/// Condition keys the request context of an observed call carries whenever they apply (built by
/// the `recommend` command from the event and the account model): a key of this list that a
/// call's context lacks was absent from the request. Every other key a call's context lacks is
/// unknown (resource and request tags, `aws:TagKeys`, `aws:SourceVpce`, organisation ids and
/// paths, MFA, service-specific keys, `iam:PassedToService` of an inferred PassRole, ...).
/// Lowercase; a trailing `/` is a prefix.
pub const CARRIED_KEYS: &[&str] = &[
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principaltype",
    "aws:principaltag/",
    "aws:username",
    "aws:userid",
    "aws:requestedregion",
    "aws:sourceip",
    "aws:securetransport",
    "aws:currenttime",
    "aws:viaawsservice",
    "aws:calledvia",
    "aws:calledviafirst",
    "aws:calledvialast",
];

/// True for a (lowercased) condition key that CloudTrail-derived context cannot carry, see
/// [`CARRIED_KEYS`]: a condition on it is unknown, and a successful call shows it held.
pub fn unknown_key(key_lower: &str) -> bool {
    !CARRIED_KEYS.iter().any(|k| if k.ends_with('/') { key_lower.starts_with(k) } else { key_lower == *k })
}

/// Recommend a trimmed policy for one principal.
pub fn recommend(input: &PrincipalInput, opts: &RecommendOptions) -> Recommendation {
    trim::run(input, opts)
}

/// True when a principal ARN matches one of the exclusion globs.
pub fn is_excluded(arn: &str, globs: &[String]) -> bool {
    let compiled: Vec<crate::policy::Glob> = globs.iter().map(|g| crate::policy::Glob::new(g)).collect();
    compiled.iter().any(|g| g.is_match(arn))
}

/// Recommend for many principals in parallel, skipping excluded ones; sorted by ARN.
pub fn recommend_all(inputs: &[PrincipalInput], opts: &RecommendOptions) -> Vec<Recommendation> {
    use rayon::prelude::*;
    // The globs are compiled once for all principals.
    let excluded: Vec<crate::policy::Glob> = opts.exclude.iter().map(|g| crate::policy::Glob::new(g)).collect();
    let mut out: Vec<Recommendation> = inputs
        .par_iter()
        .filter(|i| !excluded.iter().any(|g| g.is_match(&i.arn)))
        .map(|i| recommend(i, opts))
        .collect();
    out.sort_by(|a, b| a.arn.cmp(&b.arn));
    out
}

/// `recommendations.json` content.
pub fn recommendations_json(recs: &[Recommendation]) -> Value {
    serde_json::json!({ "principals": recs })
}
