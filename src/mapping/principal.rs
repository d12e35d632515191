//! Who made a CloudTrail call: the IAM principal whose policies authorised it.
//!
//! For an assumed-role session the principal is the role (from `sessionIssuer`, which carries the
//! role path); the human or machine behind the session (SSO user, EC2 instance id) is the `actor`.
//! A service acting for the principal (`invokedBy`, or a service name as `sourceIPAddress`) is
//! `via_service`: such calls are not the principal's own use.

use super::EventFields;
use crate::arn::{account_of, partition_of, root_arn, Arn};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalKind {
    User,
    Role,
    Root,
    FederatedUser,
    AwsAccount,
    AwsService,
    SamlUser,
    WebIdentityUser,
    IdentityCenterUser,
    Unknown,
}

impl PrincipalKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Role => "role",
            PrincipalKind::Root => "root",
            PrincipalKind::FederatedUser => "federated-user",
            PrincipalKind::AwsAccount => "aws-account",
            PrincipalKind::AwsService => "aws-service",
            PrincipalKind::SamlUser => "saml-user",
            PrincipalKind::WebIdentityUser => "web-identity-user",
            PrincipalKind::IdentityCenterUser => "identity-center-user",
            PrincipalKind::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for PrincipalKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// IAMUser: the user ARN; AssumedRole: the issuing role ARN (with path); Root:
    /// `arn:aws:iam::<acct>:root`; FederatedUser: the IAM user that called GetFederationToken
    /// (from sessionIssuer) or, lacking it, the federated-user ARN; AWSAccount: the account root.
    pub arn: Option<String>,
    pub kind: PrincipalKind,
    pub account: Option<String>,
    /// The human or machine behind the principal: user name for users, session name or
    /// sourceIdentity for role sessions (SSO user, EC2 instance id), federated name.
    pub actor: Option<String>,
    /// A service acting on the principal's behalf (not the principal's own use).
    pub via_service: Option<String>,
}

/// Role names Identity Center creates for permission sets.
const SSO_ROLE_PREFIX: &str = "AWSReservedSSO_";

pub fn resolve_principal(ev: &EventFields) -> Principal {
    let account = ev
        .account_id
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .or_else(|| ev.identity_arn.and_then(account_of).map(str::to_string))
        .or_else(|| ev.recipient_account_id.map(str::to_string));
    let via_service = via_service(ev);
    let partition = ev.identity_arn.or(ev.session_issuer_arn).and_then(partition_of).unwrap_or("aws");
    let owned = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_string);

    let (kind, arn, actor) = match ev.identity_type.unwrap_or("") {
        "IAMUser" => (
            PrincipalKind::User,
            owned(ev.identity_arn),
            owned(ev.user_name).or_else(|| ev.identity_arn.and_then(arn_last_segment).map(str::to_string)),
        ),
        "AssumedRole" => assumed_role(ev),
        "Root" => (
            PrincipalKind::Root,
            account.as_ref().map(|a| root_arn(partition, a)).or_else(|| owned(ev.identity_arn)),
            owned(ev.user_name),
        ),
        "FederatedUser" => (
            PrincipalKind::FederatedUser,
            owned(ev.session_issuer_arn).or_else(|| owned(ev.identity_arn)),
            ev.identity_arn
                .and_then(|a| a.split_once(":federated-user/").map(|(_, n)| n.to_string()))
                .or_else(|| owned(ev.session_name))
                .or_else(|| ev.principal_id.and_then(|p| p.split_once(':')).map(|(_, n)| n.to_string())),
        ),
        "AWSAccount" => (
            PrincipalKind::AwsAccount,
            account.as_ref().map(|a| root_arn(partition, a)),
            // principalId is `<role id>:<session>` or a user id in the calling account.
            ev.principal_id
                .and_then(|p| p.split_once(':'))
                .map(|(_, s)| s.to_string())
                .or_else(|| owned(ev.principal_id)),
        ),
        "AWSService" => (PrincipalKind::AwsService, None, owned(ev.invoked_by)),
        "SAMLUser" => (PrincipalKind::SamlUser, None, owned(ev.user_name).or_else(|| owned(ev.principal_id))),
        "WebIdentityUser" => {
            (PrincipalKind::WebIdentityUser, None, owned(ev.user_name).or_else(|| owned(ev.principal_id)))
        }
        "IdentityCenterUser" => {
            (PrincipalKind::IdentityCenterUser, None, owned(ev.user_name).or_else(|| owned(ev.principal_id)))
        }
        _ => (PrincipalKind::Unknown, owned(ev.identity_arn), owned(ev.user_name).or_else(|| owned(ev.principal_id))),
    };
    Principal { arn, kind, account, actor, via_service }
}

fn assumed_role(ev: &EventFields) -> (PrincipalKind, Option<String>, Option<String>) {
    let session_arn = ev.identity_arn.and_then(Arn::get);
    // Role ARN: sessionIssuer keeps the path; otherwise rebuild from the assumed-role ARN.
    let from_session_arn = session_arn.and_then(|a| a.session_role_arn());
    let issuer_is_root = ev.session_issuer_type == Some("Root");
    let arn = if issuer_is_root {
        ev.session_issuer_arn.map(str::to_string)
    } else {
        ev.session_issuer_arn.filter(|a| a.contains(":role/")).map(str::to_string).or(from_session_arn)
    };
    let role_name = arn.as_deref().and_then(arn_last_segment).unwrap_or_default();
    let kind = if issuer_is_root {
        PrincipalKind::Root
    } else if role_name.starts_with(SSO_ROLE_PREFIX) {
        PrincipalKind::IdentityCenterUser
    } else {
        PrincipalKind::Role
    };
    let session = ev
        .session_name
        .filter(|s| !s.is_empty())
        .or_else(|| session_arn.and_then(|a| a.assumed_role()).map(|(_, s)| s).filter(|s| !s.is_empty()))
        .or_else(|| ev.principal_id.and_then(|p| p.split_once(':')).map(|(_, s)| s));
    let actor = ev.source_identity.filter(|s| !s.is_empty()).or(session).map(str::to_string);
    (kind, arn, actor)
}

fn via_service(ev: &EventFields) -> Option<String> {
    if let Some(s) = ev.invoked_by.filter(|s| !s.is_empty()) {
        return Some(s.to_string());
    }
    // A service name instead of an IP address: the service made the call for the principal.
    // ("AWS Internal" is not treated as such: the principal's own console calls carry it too.)
    ev.source_ip.filter(|ip| ip.ends_with(".amazonaws.com")).map(str::to_string)
}

/// Last `/`-separated segment of an ARN's resource part (user or role name without path).
fn arn_last_segment(arn: &str) -> Option<&str> {
    Some(Arn::get(arn)?.name()).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev<'a>() -> EventFields<'a> {
        EventFields { event_source: "s3.amazonaws.com", event_name: "GetObject", ..Default::default() }
    }

    #[test]
    fn iam_user() {
        let e = EventFields {
            identity_type: Some("IAMUser"),
            identity_arn: Some("arn:aws:iam::123456789012:user/dev/alice"),
            account_id: Some("123456789012"),
            user_name: Some("alice"),
            source_ip: Some("203.0.113.5"),
            ..ev()
        };
        let p = resolve_principal(&e);
        assert_eq!(p.kind, PrincipalKind::User);
        assert_eq!(p.arn.as_deref(), Some("arn:aws:iam::123456789012:user/dev/alice"));
        assert_eq!(p.actor.as_deref(), Some("alice"));
        assert_eq!(p.account.as_deref(), Some("123456789012"));
        assert_eq!(p.via_service, None);
    }

    #[test]
    fn assumed_role_uses_issuer_with_path_and_session_as_actor() {
        let e = EventFields {
            identity_type: Some("AssumedRole"),
            identity_arn: Some("arn:aws:sts::123456789012:assumed-role/app/i-0abc"),
            principal_id: Some("AROAX:i-0abc"),
            account_id: Some("123456789012"),
            session_issuer_arn: Some("arn:aws:iam::123456789012:role/service/app"),
            session_issuer_type: Some("Role"),
            invoked_by: Some("ec2.amazonaws.com"),
            ..ev()
        };
        let p = resolve_principal(&e);
        assert_eq!(p.kind, PrincipalKind::Role);
        assert_eq!(p.arn.as_deref(), Some("arn:aws:iam::123456789012:role/service/app"));
        assert_eq!(p.actor.as_deref(), Some("i-0abc"));
        assert_eq!(p.via_service.as_deref(), Some("ec2.amazonaws.com"));
    }

    #[test]
    fn assumed_role_without_issuer_and_sso_and_source_identity() {
        let e = EventFields {
            identity_type: Some("AssumedRole"),
            identity_arn: Some("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/jane@example.com"),
            ..ev()
        };
        let p = resolve_principal(&e);
        assert_eq!(p.kind, PrincipalKind::IdentityCenterUser);
        assert_eq!(p.arn.as_deref(), Some("arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123"));
        assert_eq!(p.actor.as_deref(), Some("jane@example.com"));
        assert_eq!(p.account.as_deref(), Some("111122223333"));

        let e2 = EventFields {
            identity_type: Some("AssumedRole"),
            identity_arn: Some("arn:aws:sts::111122223333:assumed-role/deploy/s1"),
            session_name: Some("s1"),
            source_identity: Some("bob"),
            ..ev()
        };
        assert_eq!(resolve_principal(&e2).actor.as_deref(), Some("bob"));
    }

    #[test]
    fn root_federated_account_service() {
        let root = EventFields {
            identity_type: Some("Root"),
            identity_arn: Some("arn:aws:iam::123456789012:root"),
            account_id: Some("123456789012"),
            ..ev()
        };
        let p = resolve_principal(&root);
        assert_eq!((p.kind, p.arn.as_deref()), (PrincipalKind::Root, Some("arn:aws:iam::123456789012:root")));

        let fed = EventFields {
            identity_type: Some("FederatedUser"),
            identity_arn: Some("arn:aws:sts::123456789012:federated-user/carol"),
            account_id: Some("123456789012"),
            session_issuer_arn: Some("arn:aws:iam::123456789012:user/broker"),
            session_issuer_type: Some("IAMUser"),
            ..ev()
        };
        let p = resolve_principal(&fed);
        assert_eq!(p.kind, PrincipalKind::FederatedUser);
        assert_eq!(p.arn.as_deref(), Some("arn:aws:iam::123456789012:user/broker"));
        assert_eq!(p.actor.as_deref(), Some("carol"));

        let acct = EventFields {
            identity_type: Some("AWSAccount"),
            account_id: Some("222222222222"),
            principal_id: Some("AROAEXAMPLE:session-name"),
            ..ev()
        };
        let p = resolve_principal(&acct);
        assert_eq!(p.kind, PrincipalKind::AwsAccount);
        assert_eq!(p.arn.as_deref(), Some("arn:aws:iam::222222222222:root"));
        assert_eq!(p.actor.as_deref(), Some("session-name"));

        let svc =
            EventFields { identity_type: Some("AWSService"), invoked_by: Some("cloudtrail.amazonaws.com"), ..ev() };
        let p = resolve_principal(&svc);
        assert_eq!(p.kind, PrincipalKind::AwsService);
        assert_eq!(p.via_service.as_deref(), Some("cloudtrail.amazonaws.com"));
        assert_eq!(PrincipalKind::AwsService.as_str(), "aws-service");
    }

    #[test]
    fn service_source_ip_is_via_service_and_partition_kept() {
        let e = EventFields {
            identity_type: Some("IAMUser"),
            identity_arn: Some("arn:aws-cn:iam::123456789012:user/u"),
            source_ip: Some("s3.amazonaws.com"),
            ..ev()
        };
        let p = resolve_principal(&e);
        assert_eq!(p.via_service.as_deref(), Some("s3.amazonaws.com"));
        assert_eq!(p.actor.as_deref(), Some("u"));
        let r = EventFields {
            identity_type: Some("Root"),
            identity_arn: Some("arn:aws-cn:iam::123456789012:root"),
            ..ev()
        };
        assert_eq!(resolve_principal(&r).arn.as_deref(), Some("arn:aws-cn:iam::123456789012:root"));
        assert_eq!(resolve_principal(&ev()).kind, PrincipalKind::Unknown);
    }

    #[test]
    fn a_session_without_issuer_is_its_role_in_its_partition() {
        for partition in ["aws", "aws-cn", "aws-us-gov"] {
            let arn = format!("arn:{partition}:sts::123456789012:assumed-role/deploy/s1");
            let r = EventFields { identity_type: Some("AssumedRole"), identity_arn: Some(&arn), ..ev() };
            let p = resolve_principal(&r);
            let role = format!("arn:{partition}:iam::123456789012:role/deploy");
            assert_eq!(
                (p.kind, p.arn.as_deref(), p.actor.as_deref()),
                (PrincipalKind::Role, Some(role.as_str()), Some("s1"))
            );
        }
    }
}
