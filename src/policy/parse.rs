//! Parsing and validation of policy JSON into [`Policy`].
//!
//! Lenient where AWS is lenient in practice (string-or-list everywhere, numbers and booleans as
//! condition values, a missing Resource — resource-based and trust policies omit it), strict
//! where a mistake would change the meaning silently (unknown keys, both X and NotX, bad Effect,
//! unknown condition operators, malformed typed condition values).

use std::collections::BTreeMap;

use serde_json::Value;

use super::condition::{Condition, Operator};
use super::document::{
    ActionList, Effect, Policy, PolicyKind, PrincipalType, Principals, ResourceList, Statement, VERSION_2012,
};
use super::matching::ActionPattern;
use super::variables::ResourcePattern;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("invalid policy JSON: {0}")]
    Json(String),
    #[error("policy document must be a JSON object")]
    NotAnObject,
    #[error("unknown top-level key \"{0}\" (expected Version, Id, Statement)")]
    UnknownTopLevelKey(String),
    #[error("unsupported Version \"{0}\" (expected \"2012-10-17\" or \"2008-10-17\")")]
    BadVersion(String),
    #[error("policy has no Statement")]
    MissingStatement,
    #[error("{}: {reason}", statement_label(*index, sid.as_deref()))]
    Statement {
        /// 0-based position in the Statement list.
        index: usize,
        sid: Option<String>,
        reason: String,
    },
}

fn statement_label(index: usize, sid: Option<&str>) -> String {
    match sid {
        Some(s) => format!("statement {index} (Sid \"{s}\")"),
        None => format!("statement {index}"),
    }
}

/// Parse and validate a policy document.
pub fn parse_policy(doc: &Value) -> Result<Policy, PolicyError> {
    let obj = doc.as_object().ok_or(PolicyError::NotAnObject)?;
    let mut version = None;
    let mut id = None;
    let mut statement = None;
    for (k, v) in obj {
        match k.as_str() {
            "Version" => {
                let s = v.as_str().ok_or_else(|| PolicyError::BadVersion(v.to_string()))?;
                if s != VERSION_2012 && s != "2008-10-17" {
                    return Err(PolicyError::BadVersion(s.to_string()));
                }
                version = Some(s.to_string());
            }
            "Id" => id = Some(scalar_string(v).unwrap_or_else(|| v.to_string())),
            "Statement" => statement = Some(v),
            other => return Err(PolicyError::UnknownTopLevelKey(other.to_string())),
        }
    }
    let vars = version.as_deref() == Some(VERSION_2012);
    let items: Vec<&Value> = match statement {
        None => return Err(PolicyError::MissingStatement),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
    };
    let statements =
        items.into_iter().enumerate().map(|(i, v)| parse_statement(i, v, vars)).collect::<Result<Vec<_>, _>>()?;
    Ok(Policy { version, id, statements })
}

fn parse_statement(index: usize, v: &Value, vars: bool) -> Result<Statement, PolicyError> {
    let sid = v.get("Sid").and_then(scalar_string);
    let err = |reason: String| PolicyError::Statement { index, sid: sid.clone(), reason };
    let obj = v.as_object().ok_or_else(|| err("statement must be a JSON object".into()))?;
    for k in obj.keys() {
        if !matches!(
            k.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            return Err(err(format!("unknown statement key \"{k}\"")));
        }
    }
    let both = |a: &str, b: &str| obj.contains_key(a) && obj.contains_key(b);
    for (a, b) in [("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal")] {
        if both(a, b) {
            return Err(err(format!("both {a} and {b}")));
        }
    }
    let effect = match obj.get("Effect") {
        None => return Err(err("missing Effect".into())),
        Some(Value::String(s)) if s == "Allow" => Effect::Allow,
        Some(Value::String(s)) if s == "Deny" => Effect::Deny,
        Some(other) => return Err(err(format!("Effect must be \"Allow\" or \"Deny\", got {other}"))),
    };

    let (akey, anegated) = if obj.contains_key("NotAction") { ("NotAction", true) } else { ("Action", false) };
    let raw_actions = match obj.get(akey) {
        None => return Err(err("missing Action or NotAction".into())),
        Some(v) => string_list(v).map_err(|e| err(format!("{akey} {e}")))?,
    };
    for a in &raw_actions {
        if a != "*" && !a.contains(':') {
            return Err(err(format!("{akey} \"{a}\" is not of the form service:Action or \"*\"")));
        }
    }
    let action = ActionList::new(anegated, raw_actions.iter().map(|a| ActionPattern::new(a)).collect());

    let resource = match (obj.get("Resource"), obj.get("NotResource")) {
        (Some(v), _) => Some((v, false, "Resource")),
        (None, Some(v)) => Some((v, true, "NotResource")),
        (None, None) => None,
    };
    let resource = match resource {
        None => None,
        Some((v, negated, key)) => {
            let raw = string_list(v).map_err(|e| err(format!("{key} {e}")))?;
            Some(ResourceList { negated, patterns: raw.iter().map(|r| ResourcePattern::new(r, vars)).collect() })
        }
    };

    let principal = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (Some(v), _) => Some(parse_principal(v, false).map_err(|e| err(format!("Principal {e}")))?),
        (None, Some(v)) => Some(parse_principal(v, true).map_err(|e| err(format!("NotPrincipal {e}")))?),
        (None, None) => None,
    };

    let conditions = match obj.get("Condition") {
        None => Vec::new(),
        Some(v) => parse_conditions(v, vars).map_err(err)?,
    };

    Ok(Statement { sid, effect, principal, action, resource, conditions })
}

fn parse_principal(v: &Value, negated: bool) -> Result<Principals, String> {
    match v {
        Value::String(s) if s == "*" => Ok(Principals { negated, any: true, entries: BTreeMap::new() }),
        Value::String(s) => Err(format!("must be \"*\" or an object of principal types, got \"{s}\"")),
        Value::Object(m) => {
            let mut entries = BTreeMap::new();
            for (k, v) in m {
                let t = match k.as_str() {
                    "AWS" => PrincipalType::Aws,
                    "Service" => PrincipalType::Service,
                    "Federated" => PrincipalType::Federated,
                    "CanonicalUser" => PrincipalType::CanonicalUser,
                    other => return Err(format!("has unknown principal type \"{other}\"")),
                };
                entries.insert(t, string_list(v)?);
            }
            Ok(Principals { negated, any: false, entries })
        }
        other => Err(format!("must be \"*\" or an object, got {other}")),
    }
}

fn parse_conditions(v: &Value, vars: bool) -> Result<Vec<Condition>, String> {
    let ops = v.as_object().ok_or_else(|| "Condition must be an object of operators".to_string())?;
    let mut out = Vec::new();
    for (op_name, keys) in ops {
        let op = Operator::parse(op_name)?;
        let keys = keys
            .as_object()
            .ok_or_else(|| format!("condition operator \"{op_name}\" must map context keys to values"))?;
        for (key, values) in keys {
            let values = string_list(values).map_err(|e| format!("condition {op_name} {key}: values {e}"))?;
            out.push(Condition::new(op, key, values, vars)?);
        }
    }
    Ok(out)
}

/// A string, number or bool as text.
fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// String-or-list (numbers and booleans accepted as text).
fn string_list(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::Array(a) => {
            a.iter().map(|x| scalar_string(x).ok_or_else(|| format!("must be strings, found {x}"))).collect()
        }
        other => scalar_string(other)
            .map(|s| vec![s])
            .ok_or_else(|| format!("must be a string or a list of strings, found {other}")),
    }
}

/// Checks that depend on where a policy is used, as IAM enforces them: identity policies,
/// permission boundaries, SCPs and session policies need Resource (or NotResource) and must not
/// name a Principal; resource-based and trust policies need a Principal (or NotPrincipal); RCPs
/// need both. NotPrincipal with Allow is valid (AWS discourages it): [`validate`] warns.
pub fn validate_for_kind(policy: &Policy, kind: PolicyKind) -> Result<(), PolicyError> {
    let err = |index: usize, sid: &Option<String>, reason: &str| PolicyError::Statement {
        index,
        sid: sid.clone(),
        reason: format!("{reason} (in a {} policy)", kind_name(kind)),
    };
    for (i, st) in policy.statements.iter().enumerate() {
        match kind {
            PolicyKind::Identity | PolicyKind::PermissionBoundary | PolicyKind::Scp | PolicyKind::Session => {
                if st.principal.is_some() {
                    return Err(err(i, &st.sid, "Principal / NotPrincipal is not allowed"));
                }
                if st.resource.is_none() {
                    return Err(err(i, &st.sid, "Resource or NotResource is required"));
                }
            }
            PolicyKind::Resource | PolicyKind::Trust => {
                if st.principal.is_none() {
                    return Err(err(i, &st.sid, "Principal or NotPrincipal is required"));
                }
            }
            PolicyKind::Rcp => {
                if st.principal.is_none() {
                    return Err(err(i, &st.sid, "Principal or NotPrincipal is required"));
                }
                if st.resource.is_none() {
                    return Err(err(i, &st.sid, "Resource or NotResource is required"));
                }
            }
        }
    }
    Ok(())
}

/// How serious a [`Problem`] is: an error makes the policy invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A finding of [`validate`], naming the statement.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub severity: Severity,
    /// 0-based statement index, None for the whole policy.
    pub statement: Option<usize>,
    pub sid: Option<String>,
    pub message: String,
}

/// Everything wrong with a parsed policy used as `kind`, beyond what stops parsing: placement
/// errors ([`validate_for_kind`]), condition values the operator cannot read (AWS evaluates such
/// a condition as not matching, so the policy parses, but it is invalid), and warnings
/// (NotPrincipal with Allow, which AWS discourages).
pub fn validate(policy: &Policy, kind: PolicyKind) -> Vec<Problem> {
    let mut out = Vec::new();
    if let Err(e) = validate_for_kind(policy, kind) {
        let (statement, sid) = match &e {
            PolicyError::Statement { index, sid, .. } => (Some(*index), sid.clone()),
            _ => (None, None),
        };
        out.push(Problem { severity: Severity::Error, statement, sid, message: e.to_string() });
    }
    for (i, st) in policy.statements.iter().enumerate() {
        let problem = |severity, reason: &str| Problem {
            severity,
            statement: Some(i),
            sid: st.sid.clone(),
            message: format!("{}: {reason}", statement_label(i, st.sid.as_deref())),
        };
        for c in &st.conditions {
            for reason in c.problems() {
                out.push(problem(Severity::Error, &format!("{reason} (the condition never matches)")));
            }
        }
        if st.effect == Effect::Allow && st.principal.as_ref().is_some_and(|p| p.negated) {
            out.push(problem(
                Severity::Warning,
                "NotPrincipal with Allow grants everyone not listed, anonymous callers included (AWS discourages it)",
            ));
        }
    }
    out
}

fn kind_name(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::Identity => "identity",
        PolicyKind::PermissionBoundary => "permission boundary",
        PolicyKind::Scp => "service control",
        PolicyKind::Resource => "resource-based",
        PolicyKind::Session => "session",
        PolicyKind::Trust => "trust",
        PolicyKind::Rcp => "resource control",
    }
}
