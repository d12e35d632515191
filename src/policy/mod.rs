//! The IAM policy language and a faithful evaluation engine.
//!
//! Pure: no files, no clocks, no environment. Parse once ([`parse_policy`]), then evaluate
//! requests ([`evaluate`]) or answer static "effective permission" questions
//! ([`AccessIndex`], [`action_access`]).
//!
//! - `document`: the typed policy (statements, principals, actions, resources, conditions)
//!   and canonical JSON output;
//! - `encoded`: policy documents as JSON text or URL-encoded JSON text, decoded once;
//! - `parse`: validation with errors naming the statement;
//! - `matching`: wildcards for actions (case-insensitive) and ARNs (segment-wise);
//! - `variables`: `${...}` policy variables;
//! - `condition`: every condition operator, qualifiers and `IfExists`;
//! - `case`: one evaluation case with its expectations (`eval --cases`, the spec tables);
//! - `request`: the request to authorise and the evaluation it gets;
//! - `principal`: the caller as a Principal element sees it, and how an element names it;
//! - `evaluate`: the decision logic with explanations;
//! - `access`: the static access analysis (effective permissions per action);

pub mod access;
pub mod case;
pub mod condition;
pub mod document;
pub mod encoded;
pub mod evaluate;
pub mod matching;
pub mod parse;
pub mod principal;
pub mod request;
pub mod variables;

pub use access::{action_access, Access, AccessIndex, PrincipalInfo};
pub use condition::{BaseOp, Condition, Operator, SetQualifier, Truth, UnknownKeys};
pub use document::{
    ActionList, Effect, NamedPolicy, Policy, PolicyKind, PolicySet, PrincipalType, Principals, ResourceList, Statement,
};
pub use encoded::decode_document;
pub use evaluate::{evaluate, evaluate_observed, matching_statements, RCP_SERVICES};
pub use matching::{ActionPattern, ArnGlob, Glob};
pub use parse::{parse_policy, validate, validate_for_kind, PolicyError, Problem, Severity};
pub use request::{Context, Decision, Evaluation, Request, StatementRef};
pub use variables::Lookup;

#[cfg(test)]
mod spec_tests;
