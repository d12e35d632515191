//! The request context IAM fills in for a principal: its name, id, ARN, account and tags.

use super::{Account, PrincipalRef};
use crate::policy::Context;

impl Account {
    /// Global condition keys AWS sets for every request of `principal_arn` (`aws:username`,
    /// `aws:userid`, `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalTag/*`, ...).
    pub fn base_context(&self, principal_arn: &str) -> Context {
        let mut c = Context::new();
        c.insert("aws:PrincipalAccount", self.account_id.clone());
        match self.principal(principal_arn) {
            Some(PrincipalRef::User(u)) => {
                c.insert("aws:username", u.name.clone());
                c.insert("aws:userid", u.id.clone());
                c.insert("aws:PrincipalArn", u.arn.clone());
                c.insert("aws:PrincipalType", "User");
                for (k, v) in &u.tags {
                    c.insert(&format!("aws:PrincipalTag/{k}"), v.clone());
                }
            }
            Some(PrincipalRef::Role(r)) => {
                c.insert("aws:PrincipalArn", r.arn.clone());
                c.insert("aws:PrincipalType", "AssumedRole");
                // For a session, aws:userid is "<role id>:<session name>".
                if let Some((_, session)) = crate::arn::Arn::get(principal_arn).and_then(|a| a.assumed_role()) {
                    c.insert("aws:userid", format!("{}:{session}", r.id));
                }
                for (k, v) in &r.tags {
                    c.insert(&format!("aws:PrincipalTag/{k}"), v.clone());
                }
            }
            Some(PrincipalRef::Root) => {
                c.insert("aws:PrincipalArn", self.root_arn());
                c.insert("aws:PrincipalType", "Account");
                c.insert("aws:userid", self.account_id.clone());
            }
            None => {}
        }
        c
    }
}
