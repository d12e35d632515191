//! Principal matching: who the caller is (user, role, session, root, service) as a resource
//! policy's Principal or NotPrincipal element sees it, and how strongly an element names it.
//! The rules are in the [`super::evaluate`] module documentation.

use super::document::{PrincipalType, Principals};
use crate::arn::Arn;

/// How a resource-policy Principal element matched the caller (weakest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grant {
    /// Named the caller's account: delegates to the account's IAM policies.
    Account,
    /// Named the caller's role (or `*` for a session): limited by boundary and session policies.
    Entity,
    /// Named the caller itself.
    Direct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    User,
    Role,
    AssumedRole,
    FederatedUser,
    Root,
    Service,
    Other,
}

/// The caller as the Principal element sees it.
#[derive(Debug, Clone)]
pub(super) struct Caller {
    pub(super) arn: String,
    pub(super) account: Option<String>,
    pub(super) shape: Shape,
    /// Role name for roles and assumed-role sessions.
    pub(super) role_name: Option<String>,
    /// The role ARN behind an assumed-role session (path unknown, so none).
    session_role: Option<String>,
}

impl Caller {
    pub(super) fn new(principal: &str, account_hint: Option<&str>) -> Caller {
        let mut shape = Shape::Other;
        let mut role_name = None;
        let mut session_role = None;
        let mut account = account_hint.map(str::to_string);
        if let Some(a) = Arn::get(principal) {
            if account.is_none() {
                account = a.account_id().map(str::to_string);
            }
            match a.service {
                "iam" if a.is_root() => shape = Shape::Root,
                "iam" if a.resource_type() == Some("user") => shape = Shape::User,
                "iam" if a.resource_type() == Some("role") => {
                    shape = Shape::Role;
                    role_name = a.role_name().map(str::to_string);
                }
                "sts" if a.assumed_role().is_some() => {
                    shape = Shape::AssumedRole;
                    role_name = a.role_name().map(str::to_string);
                    let acct = account.as_deref().unwrap_or(a.account);
                    session_role = Arn { account: acct, ..a }.session_role_arn();
                }
                "sts" if a.resource_type() == Some("federated-user") => shape = Shape::FederatedUser,
                _ => {}
            }
        } else if crate::names::is_account_id(principal) {
            shape = Shape::Root;
            account.get_or_insert_with(|| principal.to_string());
        } else if principal.ends_with(".amazonaws.com") || principal.ends_with(".amazonaws.com.cn") {
            shape = Shape::Service;
        }
        Caller { arn: principal.to_string(), account, shape, role_name, session_role }
    }

    /// The role ARN behind a session (path unknown, so none).
    pub(super) fn role_arn(&self) -> Option<String> {
        self.session_role.clone()
    }

    /// What `*` (or an applicable NotPrincipal) grants this caller.
    pub(super) fn wildcard_grant(&self) -> Grant {
        match self.shape {
            Shape::AssumedRole | Shape::Role | Shape::FederatedUser => Grant::Entity,
            _ => Grant::Direct,
        }
    }
}

/// The account named by a Principal AWS entry (`123456789012` or `arn:...:iam::123456789012:root`).
fn entry_account(entry: &str) -> Option<&str> {
    if crate::names::is_account_id(entry) {
        return Some(entry);
    }
    Arn::get(entry).filter(Arn::is_root).map(|a| a.account)
}

/// Match one `AWS` principal entry against the caller.
fn match_aws_entry(entry: &str, c: &Caller) -> Option<Grant> {
    if entry == "*" {
        return Some(c.wildcard_grant());
    }
    if let Some(acct) = entry_account(entry) {
        if c.account.as_deref() != Some(acct) {
            return None;
        }
        return Some(if c.shape == Shape::Root { Grant::Direct } else { Grant::Account });
    }
    if let Some(a) = Arn::get(entry).filter(|a| a.service == "iam") {
        if a.resource.starts_with("role/") {
            let name = a.name();
            let same_role = matches!(c.shape, Shape::Role | Shape::AssumedRole)
                && c.account.as_deref() == Some(a.account)
                && c.role_name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name));
            return same_role.then_some(Grant::Entity);
        }
        if a.resource.starts_with("user/") {
            let name = a.name();
            let same_user = c.shape == Shape::User
                && c.account.as_deref() == Some(a.account)
                && c.arn.rsplit('/').next().is_some_and(|n| n.eq_ignore_ascii_case(name));
            return same_user.then_some(Grant::Direct);
        }
    }
    (entry == c.arn).then_some(Grant::Direct)
}

/// Match a Principal/NotPrincipal element; Some(grant) when the statement applies to the caller.
pub(super) fn match_principals(p: &Principals, c: &Caller) -> Option<Grant> {
    if !p.negated {
        if p.any {
            return Some(c.wildcard_grant());
        }
        return p
            .entries
            .iter()
            .flat_map(|(t, vals)| vals.iter().map(move |v| (t, v)))
            .filter_map(|(t, v)| match t {
                PrincipalType::Aws => match_aws_entry(v, c),
                PrincipalType::Service => v.eq_ignore_ascii_case(&c.arn).then_some(Grant::Direct),
                PrincipalType::Federated | PrincipalType::CanonicalUser => (*v == c.arn).then_some(Grant::Direct),
            })
            .max();
    }
    // NotPrincipal: excluded only when every identity of the caller is listed.
    if p.any {
        return None;
    }
    let listed =
        |pred: &dyn Fn(PrincipalType, &str) -> bool| p.entries.iter().any(|(t, vals)| vals.iter().any(|v| pred(*t, v)));
    let caller_listed = listed(&|t, v| match t {
        PrincipalType::Aws => match c.shape {
            Shape::Root => entry_account(v).is_some_and(|a| c.account.as_deref() == Some(a)),
            _ => match_aws_entry(v, c) == Some(Grant::Direct) || v == c.arn,
        },
        PrincipalType::Service => v.eq_ignore_ascii_case(&c.arn),
        _ => v == c.arn,
    });
    let account_listed = match c.shape {
        Shape::Service | Shape::Other | Shape::Root => true,
        _ => {
            listed(&|t, v| t == PrincipalType::Aws && entry_account(v).is_some_and(|a| c.account.as_deref() == Some(a)))
        }
    };
    let role_listed = match c.shape {
        Shape::AssumedRole => listed(&|t, v| t == PrincipalType::Aws && match_aws_entry(v, c) == Some(Grant::Entity)),
        _ => true,
    };
    let excluded = caller_listed && account_listed && role_listed;
    (!excluded).then_some(c.wildcard_grant())
}
