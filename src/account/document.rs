//! Policy documents as they appear in inputs: a JSON object (AWS CLI output), a JSON string, or a
//! URL-encoded JSON string (the raw IAM API form). Decoded to a JSON value, then parsed into a
//! typed policy with error context.

use serde_json::Value;

use super::error::AccountError;
pub use crate::policy::encoded::{decode_document, json_type};
use crate::policy::{parse_policy, validate_for_kind, NamedPolicy, PolicyKind};

/// Where a document came from, for error messages.
#[derive(Debug, Clone, Copy)]
pub struct DocContext<'a> {
    pub file: &'a str,
    pub owner: &'a str,
    pub policy: &'a str,
}

impl DocContext<'_> {
    fn document_error(&self, reason: String) -> AccountError {
        AccountError::Document {
            file: self.file.to_string(),
            owner: self.owner.to_string(),
            policy: self.policy.to_string(),
            reason,
        }
    }
}

/// Decodes and parses a raw document field; returns the decoded JSON and the typed policy.
pub fn load_named(
    raw: &Value,
    name: String,
    kind: PolicyKind,
    ctx: DocContext<'_>,
) -> Result<(Value, NamedPolicy), AccountError> {
    let doc = decode_document(raw).map_err(|r| ctx.document_error(r))?;
    let named = parse_named(&doc, name, kind, ctx)?;
    Ok((doc, named))
}

/// Parses an already decoded document into a named policy.
pub fn parse_named(
    doc: &Value,
    name: String,
    kind: PolicyKind,
    ctx: DocContext<'_>,
) -> Result<NamedPolicy, AccountError> {
    let policy = parse_policy(doc).and_then(|p| validate_for_kind(&p, kind).map(|_| p)).map_err(|error| {
        AccountError::Policy {
            file: ctx.file.to_string(),
            owner: ctx.owner.to_string(),
            policy: ctx.policy.to_string(),
            error: Box::new(error),
        }
    })?;
    Ok(NamedPolicy { name, kind, policy })
}
