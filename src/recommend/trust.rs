//! Trust policies trimmed: the principals a role's trust policy admits versus those that assumed
//! it in the window (successful AssumeRole, AssumeRoleWithSAML and AssumeRoleWithWebIdentity
//! calls), and a proposed trust policy that admits only the latter, conditions unchanged.
//!
//! Conservative by design: a principal is kept at the granularity the policy names it (an
//! account root stays an account root, the callers seen are listed beside it); a wildcard
//! principal is kept as it is and noted; a statement that does not allow an AssumeRole action,
//! a Deny and a NotPrincipal are carried over verbatim; a role nobody assumed gets no proposal.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value};

use super::compact::canonical;

/// One successful assumption of a role, from one event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assumption {
    pub event_id: String,
    /// `requestParameters.roleArn`.
    pub role_arn: String,
    /// `AssumeRole`, `AssumeRoleWithSAML` or `AssumeRoleWithWebIdentity`.
    pub event_name: String,
    /// The IAM caller: a user's ARN, or for a role session the role's (session issuer) ARN.
    pub caller_arn: Option<String>,
    /// The caller's account (`userIdentity.accountId`).
    pub caller_account: Option<String>,
    /// The service of an `AWSService` caller (`userIdentity.invokedBy`).
    pub service: Option<String>,
    /// The identity provider: `requestParameters.principalArn` (SAML) or
    /// `userIdentity.identityProvider` (web identity).
    pub provider: Option<String>,
    /// Who the caller said they are (SAML or web identity user name, session name).
    pub subject: Option<String>,
    pub source_identity: Option<String>,
    pub external_id: Option<String>,
    pub time_ms: i64,
}

/// The successful assumptions among the window's identity events
/// ([`crate::usage::people::read_identity_events`]), one per event, with who assumed which role.
pub fn assumptions(events: &[crate::usage::people::IdentityEvent]) -> Vec<Assumption> {
    let some = |v: &str| (!v.is_empty()).then(|| v.to_owned());
    let field = |v: &Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    let mut out = Vec::new();
    for e in events.iter().filter(|e| e.event_name.starts_with("AssumeRole") && e.error_code.is_empty()) {
        let rp: Value = serde_json::from_str(&e.request_parameters).unwrap_or_default();
        let Some(role_arn) = field(&rp, "roleArn") else { continue };
        let mut a = Assumption {
            event_id: e.event_id.clone(),
            role_arn,
            event_name: e.event_name.clone(),
            caller_account: some(&e.account_id),
            subject: some(&e.user_name),
            source_identity: field(&rp, "sourceIdentity").or_else(|| some(&e.source_identity)),
            external_id: field(&rp, "externalId"),
            time_ms: e.time,
            ..Assumption::default()
        };
        match e.identity_type.as_str() {
            "AWSService" => a.service = some(&e.invoked_by),
            "AssumedRole" => a.caller_arn = some(&e.session_issuer_arn).or_else(|| some(&e.identity_arn)),
            "SAMLUser" => a.provider = field(&rp, "principalArn"),
            "WebIdentityUser" => {
                let ui: Value = serde_json::from_str(&e.user_identity).unwrap_or_default();
                a.provider = field(&ui, "identityProvider")
            }
            _ => a.caller_arn = some(&e.identity_arn),
        }
        // A SAML call names the provider in its request when userIdentity lacks the type.
        if a.provider.is_none() && e.event_name == "AssumeRoleWithSAML" {
            a.provider = field(&rp, "principalArn");
        }
        out.push(a);
    }
    out
}

/// A principal named by a trust policy: `kind` is `AWS`, `Service`, `Federated`,
/// `CanonicalUser` or `*` (the bare `"Principal": "*"`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TrustPrincipal {
    pub kind: String,
    pub value: String,
}

/// A trust principal that assumed the role in the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsedPrincipal {
    pub kind: String,
    pub value: String,
    pub events: u64,
    pub first_seen: String,
    pub last_seen: String,
    /// Who assumed through it: caller ARNs, accounts, services or provider subjects.
    pub callers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_identities: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_ids: Vec<String>,
}

/// The `trust` object of a role in recommendations.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trust {
    pub admitted: Vec<TrustPrincipal>,
    pub used: Vec<UsedPrincipal>,
    /// Successful assumptions in the window.
    pub assumptions: u64,
    /// Of those, the ones no admitted principal explains (the policy changed in the window, or a
    /// principal form trailtrim does not match): while any remain, nothing is proposed.
    pub unexplained: u64,
    /// The proposed trust policy (None: nothing to propose, see `notes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposed: Option<Value>,
    /// False when the proposal equals the current trust policy.
    pub changed: bool,
    /// Path of the proposal relative to OUT (set by the writer's layout, `<name>.trust.json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub removed: Vec<TrustPrincipal>,
    /// Assumptions in the events of high or critical findings: not evidence of need, not counted.
    pub incident_assumptions: u64,
    pub notes: Vec<String>,
}

const ASSUME_ACTIONS: &[&str] = &["sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity"];

fn as_list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

fn string_or_list(mut v: Vec<String>) -> Value {
    if v.len() == 1 {
        Value::String(v.remove(0))
    } else {
        Value::Array(v.into_iter().map(Value::String).collect())
    }
}

/// Does an Allow statement's Action name one of the assume actions (wildcards included)?
fn allows_assume(st: &Value) -> bool {
    let actions = as_list(st.get("Action").unwrap_or(&Value::Null));
    actions.iter().any(|p| {
        let g = crate::policy::Glob::new(&p.to_ascii_lowercase());
        ASSUME_ACTIONS.iter().any(|a| g.is_match(a))
    })
}

/// The account a principal value stands for as a whole: `123456789012` or
/// `arn:<partition>:iam::123456789012:root`.
fn whole_account(value: &str) -> Option<&str> {
    let is_id = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if is_id(value) {
        return Some(value);
    }
    crate::arn::Arn::get(value).filter(|a| a.is_root() && a.region.is_empty() && is_id(a.account)).map(|a| a.account)
}

/// Does the trust principal (`kind`, `value`) admit the caller of this assumption?
pub fn admits(kind: &str, value: &str, a: &Assumption) -> bool {
    let iam_caller = a.service.is_none() && a.provider.is_none();
    match kind {
        "*" => true,
        "AWS" if value == "*" => iam_caller,
        "AWS" => {
            iam_caller
                && (a.caller_arn.as_deref() == Some(value)
                    || whole_account(value).is_some_and(|acct| a.caller_account.as_deref() == Some(acct)))
        }
        "Service" => a.service.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(value)),
        // An OIDC provider is named by ARN in the policy and by host in the event.
        "Federated" => a.provider.as_deref().is_some_and(|p| p == value || value.ends_with(&format!("/{p}"))),
        _ => false,
    }
}

fn caller_label(a: &Assumption) -> String {
    if let Some(s) = &a.service {
        return s.clone();
    }
    if let Some(arn) = &a.caller_arn {
        return arn.clone();
    }
    match (&a.provider, &a.subject, &a.caller_account) {
        (Some(_), Some(sub), _) => sub.clone(),
        (_, _, Some(acct)) => format!("account {acct}"),
        _ => "(unknown caller)".into(),
    }
}

fn rfc3339(ms: i64) -> String {
    crate::time::iso(ms)
}

/// The principals of a statement as (kind, values).
fn principals(st: &Value) -> Vec<(String, Vec<String>)> {
    match st.get("Principal") {
        Some(Value::String(s)) if s == "*" => vec![("*".into(), vec!["*".into()])],
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), as_list(v))).collect(),
        _ => Vec::new(),
    }
}

/// Trim one role's trust policy against the role's successful assumptions in the window.
/// `set_aside` are the role's assumptions in the events of high or critical findings, with the
/// finding ids: they are not counted as use (a principal admitted by an attacker's change and
/// used only by the attacker is removed), and the notes name them.
pub fn trim(document: &Value, assumptions: &[&Assumption], set_aside: &[(&Assumption, Vec<String>)]) -> Trust {
    let statements: Vec<Value> = match document.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s @ Value::Object(_)) => vec![s.clone()],
        _ => Vec::new(),
    };
    let mut notes = Vec::new();
    let mut admitted: BTreeSet<TrustPrincipal> = BTreeSet::new();
    for st in statements.iter().filter(|s| s.get("Effect").and_then(Value::as_str) == Some("Allow")) {
        for (kind, values) in principals(st) {
            for value in values {
                admitted.insert(TrustPrincipal { kind: kind.clone(), value });
            }
        }
    }
    // Use per admitted principal.
    let mut used: BTreeMap<&TrustPrincipal, Vec<&Assumption>> = BTreeMap::new();
    let mut unexplained = 0u64;
    for a in assumptions {
        let mut any = false;
        for p in admitted.iter().filter(|p| admits(&p.kind, &p.value, a)) {
            used.entry(p).or_default().push(a);
            any = true;
        }
        unexplained += u64::from(!any);
    }
    let used_list: Vec<UsedPrincipal> = used
        .iter()
        .map(|(p, calls)| {
            let set = |f: &dyn Fn(&Assumption) -> Option<String>| -> Vec<String> {
                calls.iter().filter_map(|a| f(a)).collect::<BTreeSet<_>>().into_iter().collect()
            };
            UsedPrincipal {
                kind: p.kind.clone(),
                value: p.value.clone(),
                events: calls.len() as u64,
                first_seen: rfc3339(calls.iter().map(|a| a.time_ms).min().unwrap_or(0)),
                last_seen: rfc3339(calls.iter().map(|a| a.time_ms).max().unwrap_or(0)),
                callers: set(&|a| Some(caller_label(a))),
                source_identities: set(&|a| a.source_identity.clone()),
                external_ids: set(&|a| a.external_id.clone()),
            }
        })
        .collect();
    let is_used = |kind: &str, value: &str| used.keys().any(|p| p.kind == kind && p.value == value);

    for (a, findings) in set_aside {
        notes.push(format!(
            "assumed by {} on {} only in finding {}: not counted as use",
            caller_label(a),
            rfc3339(a.time_ms),
            findings.join(", ")
        ));
    }
    let mut trust = Trust {
        incident_assumptions: set_aside.len() as u64,
        admitted: admitted.iter().cloned().collect(),
        used: used_list,
        assumptions: assumptions.len() as u64,
        unexplained,
        proposed: None,
        changed: false,
        file: None,
        removed: Vec::new(),
        notes: Vec::new(),
    };
    if assumptions.is_empty() {
        notes.push(
            "not assumed in the window: no trust proposal (an unused role may be a candidate for deletion)".into(),
        );
        trust.notes = notes;
        return trust;
    }
    if unexplained > 0 {
        notes.push(format!(
            "{unexplained} assumption(s) match no principal of the current trust policy (changed in the window?): no trust proposal"
        ));
        trust.notes = notes;
        return trust;
    }

    let mut out: Vec<Value> = Vec::new();
    let mut removed: BTreeSet<TrustPrincipal> = BTreeSet::new();
    for (i, st) in statements.iter().enumerate() {
        let label = st.get("Sid").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| format!("#{i}"));
        let allow = st.get("Effect").and_then(Value::as_str) == Some("Allow");
        if !allow || st.get("NotPrincipal").is_some() || st.get("Principal").is_none() || !allows_assume(st) {
            out.push(st.clone());
            continue;
        }
        let ps = principals(st);
        let wildcard = ps.iter().any(|(k, vs)| k == "*" || (k == "AWS" && vs.iter().any(|v| v == "*")));
        if wildcard {
            notes.push(if st.get("Condition").is_some() {
                format!("statement {label}: a wildcard principal with conditions is kept as it is; its conditions decide who may assume the role")
            } else {
                format!("statement {label}: a wildcard principal without conditions lets any AWS principal assume the role; kept as it is, review it")
            });
            out.push(st.clone());
            continue;
        }
        let mut principal = Map::new();
        for (kind, values) in ps {
            let (keep, drop): (Vec<String>, Vec<String>) = values.into_iter().partition(|v| is_used(&kind, v));
            removed.extend(drop.into_iter().map(|value| TrustPrincipal { kind: kind.clone(), value }));
            if !keep.is_empty() {
                principal.insert(kind, string_or_list(keep));
            }
        }
        if principal.is_empty() {
            notes.push(format!("statement {label}: none of its principals assumed the role in the window; removed"));
            continue;
        }
        let mut st = st.clone();
        st["Principal"] = Value::Object(principal);
        out.push(st);
    }
    let mut proposed = Map::new();
    proposed.insert(
        "Version".into(),
        document.get("Version").cloned().unwrap_or_else(|| Value::String(super::compact::VERSION.into())),
    );
    proposed.insert("Statement".into(), Value::Array(out));
    let proposed = canonical(Value::Object(proposed));
    trust.changed = proposed != canonical(document.clone());
    if !removed.is_empty() {
        notes.push(format!(
            "admitted but not used in the window, removed: {}",
            removed.iter().map(|p| format!("{} {}", p.kind, p.value)).collect::<Vec<_>>().join(", ")
        ));
    }
    trust.proposed = Some(proposed);
    trust.removed = removed.into_iter().collect();
    trust.notes = notes;
    trust
}
