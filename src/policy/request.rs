//! What the engine is asked and what it answers: the request (principal, action, resource,
//! context keys) and the evaluation (decision, deciding statements, layer).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::document::PolicyKind;
use super::variables::Lookup;

/// Request context: context keys (case-insensitive) to one or more values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Context {
    values: BTreeMap<String, Vec<String>>,
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    /// Set a single-valued key (replaces any previous value).
    pub fn insert(&mut self, key: &str, value: impl Into<String>) {
        self.values.insert(key.to_ascii_lowercase(), vec![value.into()]);
    }

    /// Set a multivalued key (an empty list counts as absent in conditions).
    pub fn insert_multi(&mut self, key: &str, values: Vec<String>) {
        self.values.insert(key.to_ascii_lowercase(), values);
    }

    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.values.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
    }

    pub fn remove(&mut self, key: &str) {
        self.values.remove(&key.to_ascii_lowercase());
    }

    /// Keys (lowercased) and values, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

impl Lookup for Context {
    fn values(&self, key_lower: &str) -> Option<&[String]> {
        self.values.get(key_lower).map(Vec::as_slice)
    }
}

impl<'de> Deserialize<'de> for Context {
    /// `{"aws:SourceIp": "1.2.3.4", "aws:TagKeys": ["a", "b"]}`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Context, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        let m: BTreeMap<String, OneOrMany> = BTreeMap::deserialize(d)?;
        let mut c = Context::new();
        for (k, v) in m {
            match v {
                OneOrMany::One(s) => c.insert(&k, s),
                OneOrMany::Many(v) => c.insert_multi(&k, v),
            }
        }
        Ok(c)
    }
}

/// One API request to authorise.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Caller ARN (user, role, assumed-role session, federated user, root), or a service
    /// principal (`lambda.amazonaws.com`), a federated provider, a canonical user id.
    pub principal: String,
    /// Defaults to the account in the principal ARN.
    #[serde(default)]
    pub principal_account: Option<String>,
    pub action: String,
    pub resource: String,
    /// Account owning the resource; when it differs from the principal's, the request is
    /// cross-account.
    #[serde(default)]
    pub resource_account: Option<String>,
    #[serde(default)]
    pub context: Context,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
    /// A policy attached to the principal could not be resolved and could change the answer.
    Unknown,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
            Decision::Unknown => "Unknown",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A statement named in an explanation. `index` is 0-based within its policy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct StatementRef {
    pub policy: String,
    pub kind: PolicyKind,
    pub sid: Option<String>,
    pub index: usize,
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sid {
            Some(s) if !s.is_empty() => write!(f, "{}#{}", self.policy, s),
            _ => write!(f, "{}#{}", self.policy, self.index),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    pub decision: Decision,
    /// Allow: the allowing identity and/or resource statements; ExplicitDeny: the denying
    /// statements; ImplicitDeny: empty.
    pub statements: Vec<StatementRef>,
    /// Human-readable: which layer decided.
    pub reason: String,
    /// Allow: those of `statements` that allow only if conditions on unknown keys held
    /// ([`super::evaluate_observed`]); always empty for [`super::evaluate()`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assumed: Vec<StatementRef>,
    /// Denials: the layer that denied (`identity`, `boundary`, `scp`, `rcp`, `resource`,
    /// `session`, `kms-key`, `trust`): the first denying statement's for an explicit deny, the
    /// layer that did not allow for an implicit one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<&'static str>,
}
