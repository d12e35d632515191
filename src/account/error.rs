//! Load errors with enough context to find the problem: the input file, the principal or policy
//! that holds the document, and (through `PolicyError`) the statement index.

use crate::policy::PolicyError;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A policy document that does not parse as an IAM policy.
    #[error("{file}: {owner}: policy {policy}: {error}")]
    Policy {
        file: String,
        /// Principal ARN, policy ARN, resource ARN or SCP level that holds the document.
        owner: String,
        /// Policy name (inline name, version, SCP name, ...).
        policy: String,
        /// Boxed: keeps `Result<_, AccountError>` small on the happy path.
        error: Box<PolicyError>,
    },
    /// A policy document that is not JSON, or not decodable (bad URL-encoding).
    #[error("{file}: {owner}: policy {policy}: {reason}")]
    Document { file: String, owner: String, policy: String, reason: String },
    /// Any other malformed input (wrong shape, unreadable file).
    #[error("{file}: {reason}")]
    Input { file: String, reason: String },
}

impl AccountError {
    pub(crate) fn input(file: &str, reason: impl Into<String>) -> Self {
        AccountError::Input { file: file.to_string(), reason: reason.into() }
    }
}
