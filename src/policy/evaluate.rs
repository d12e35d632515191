//! The decision: explicit deny, SCP levels, identity/boundary/session intersection, resource
//! policies (same-account union, cross-account intersection), trust policies — with the
//! deciding statements named. (The request and answer types are in [`super::request`],
//! Principal matching in [`super::principal`], the static access index in [`super::access`].)
//!
//! Choices (AWS "Policy evaluation logic", "How AWS enforcement code logic evaluates requests",
//! "Cross-account policy evaluation logic"), kept deliberately explicit:
//! - An explicit Deny in any applicable policy (identity, boundary, any SCP level, session,
//!   resource/trust) decides, and every denying statement is named.
//! - SCPs: every level must contain a policy with an applicable Allow; an empty level allows
//!   nothing (AWS requires at least one SCP per node). SCPs bind the principal even when a
//!   resource policy allows.
//! - Identity path: some identity policy allows, and (if any are given) some boundary allows,
//!   and (if any are given) some session policy allows.
//! - Resource policy, same account: a grant that names the caller directly (an IAM user ARN,
//!   the exact assumed-role session ARN, a service, a federated principal, or `*` for a user)
//!   allows on its own, even with an implicit deny in identity policies, boundary or session
//!   policy. A grant to a role ARN (which covers its sessions), or `*`/NotPrincipal for a role
//!   session, allows only if the boundary and the session policies (when given) allow too.
//!   A grant to the account (`123456789012`, `arn:aws:iam::123456789012:root`) delegates to
//!   IAM: it does not allow by itself, the identity path must allow.
//! - Resource policy, cross account (resource account differs from the principal's account):
//!   the identity path AND the resource policy must both allow (an account grant suffices).
//! - Trust policies (kind Trust) must always allow; a trust grant to the account needs the
//!   identity path too (same account), like any cross-account grant.
//! - Principal element: account ids/`:root` match every principal of the account; a role ARN
//!   matches the role and its assumed-role sessions (compared by account and role name, so a
//!   role path does not matter); other ARNs match exactly; `*` matches everyone.
//!   NotPrincipal excludes a caller only if all its identities are listed: the account, the
//!   caller ARN, and for a session also its role (as AWS documents for NotPrincipal).
//! - The account root user has every identity permission (SCPs still apply).
//! - Requests whose principal or resource account is unknown are treated as same-account.
//! - [`evaluate_observed`] evaluates a request known to have succeeded when some condition keys
//!   cannot be known: an Allow whose conditions are unknown "may allow" and counts as allowing
//!   (named in [`Evaluation::assumed`]); a Deny whose conditions are unknown is taken not to
//!   have applied, since the request succeeded. [`evaluate`] knows every key.

use std::collections::BTreeMap;

use super::condition::{Truth, UnknownKeys};
use super::document::{Effect, NamedPolicy, PolicyKind, PolicySet, Statement};
use super::principal::{match_principals, Caller, Grant, Shape};
use super::request::{Context, Decision, Evaluation, Request, StatementRef};
use super::variables::Lookup;
use crate::arn::Arn;

/// Services whose resources RCPs govern (AWS Organizations "Resource control policies":
/// "List of AWS services that support RCPs").
pub const RCP_SERVICES: [&str; 9] =
    ["aoss", "cognito-identity", "dynamodb", "ecr", "kms", "s3", "secretsmanager", "sqs", "sts"];

/// Actions that need no permission: AWS allows them whatever the policies say.
fn needs_no_permission(action_lower: &str) -> bool {
    // "No permissions are required to perform this operation. If an administrator attaches a
    // policy to your identity that explicitly denies access to the sts:GetCallerIdentity
    // action, you can still perform this operation." (STS API reference, GetCallerIdentity)
    action_lower == "sts:getcalleridentity"
}

/// The layer a policy kind stands for in a denial, given the resource.
fn layer_of(kind: PolicyKind, resource: &str) -> &'static str {
    match kind {
        PolicyKind::Identity => "identity",
        PolicyKind::PermissionBoundary => "boundary",
        PolicyKind::Scp => "scp",
        PolicyKind::Rcp => "rcp",
        PolicyKind::Session => "session",
        PolicyKind::Trust => "trust",
        PolicyKind::Resource if is_kms_key(resource) => "kms-key",
        PolicyKind::Resource => "resource",
    }
}

fn is_kms_key(resource: &str) -> bool {
    Arn::get(resource).is_some_and(|a| a.service == "kms" && a.resource_type() == Some("key"))
}

/// Context lookups with the principal keys filled from the request when the caller left them out.
struct EvalCtx<'a> {
    ctx: &'a Context,
    fallback: BTreeMap<&'static str, Vec<String>>,
    unknown: UnknownKeys<'a>,
    /// The principal has a permissions boundary (resolved or not).
    bounded: bool,
}

fn no_unknown_keys(_: &str) -> bool {
    false
}

impl<'a> EvalCtx<'a> {
    /// The principal keys AWS sets on every request that the ARN alone determines
    /// (AWS "AWS global condition context keys"): `aws:PrincipalArn` (a session's role, path
    /// unknown here: the account model supplies it), `aws:PrincipalAccount`, `aws:username`
    /// (IAM users), `aws:userid` (root: the account id; federated user: `account:name`; users and
    /// roles have unique ids only the account model knows) and `aws:PrincipalType`.
    fn new(req: &'a Request, caller: &Caller, unknown: UnknownKeys<'a>) -> EvalCtx<'a> {
        let mut fallback = BTreeMap::new();
        let arn = caller.role_arn().unwrap_or_else(|| req.principal.clone());
        fallback.insert("aws:principalarn", vec![arn]);
        if let Some(a) = &caller.account {
            fallback.insert("aws:principalaccount", vec![a.clone()]);
        }
        let last = req.principal.rsplit('/').next().unwrap_or_default().to_string();
        let kind = match caller.shape {
            Shape::User => {
                fallback.insert("aws:username", vec![last]);
                Some("User")
            }
            Shape::Root => {
                if let Some(a) = &caller.account {
                    fallback.insert("aws:userid", vec![a.clone()]);
                }
                Some("Account")
            }
            Shape::FederatedUser => {
                if let Some(a) = &caller.account {
                    fallback.insert("aws:userid", vec![format!("{a}:{last}")]);
                }
                Some("FederatedUser")
            }
            Shape::AssumedRole | Shape::Role => Some("AssumedRole"),
            Shape::Service | Shape::Other => None,
        };
        if let Some(k) = kind {
            fallback.insert("aws:principaltype", vec![k.to_string()]);
        }
        EvalCtx { ctx: &req.context, fallback, unknown, bounded: false }
    }
}

impl Lookup for EvalCtx<'_> {
    fn values(&self, key_lower: &str) -> Option<&[String]> {
        self.ctx.values(key_lower).or_else(|| self.fallback.get(key_lower).map(Vec::as_slice))
    }
}

fn uses_principal(kind: PolicyKind) -> bool {
    matches!(kind, PolicyKind::Resource | PolicyKind::Trust | PolicyKind::Rcp)
}

/// Does the statement apply to the request? Some((grant, assumed)) if so (Direct for policy
/// kinds without a Principal element); `assumed`: an Allow whose conditions are unknown.
fn statement_applies(
    st: &Statement,
    kind: PolicyKind,
    action_lower: &str,
    req: &Request,
    caller: &Caller,
    ctx: &EvalCtx,
) -> Option<(Grant, bool)> {
    if !st.matches_action_lower(action_lower) {
        return None;
    }
    let grant = if uses_principal(kind) {
        // A resource-policy statement without Principal applies to no one.
        let p = st.principal.as_ref()?;
        // AWS ("IAM JSON policy elements: NotPrincipal"): a Deny with NotPrincipal always
        // denies an IAM principal that has a permissions boundary, whatever the list says.
        let bounded = ctx.bounded
            && matches!(caller.shape, Shape::User | Shape::Role | Shape::AssumedRole)
            && p.negated
            && st.effect == Effect::Deny;
        if bounded {
            caller.wildcard_grant()
        } else {
            match_principals(p, caller)?
        }
    } else {
        Grant::Direct
    };
    if !st.matches_resource_in(&req.resource, ctx) {
        return None;
    }
    match (st.conditions_truth(ctx, ctx.unknown), st.effect) {
        (Truth::True, _) => Some((grant, false)),
        (Truth::Unknown, Effect::Allow) => Some((grant, true)),
        _ => None,
    }
}

#[derive(Default)]
struct Scan {
    allows: Vec<(StatementRef, Grant)>,
    denies: Vec<StatementRef>,
    assumed: Vec<StatementRef>,
}

impl Scan {
    fn allows(&self) -> bool {
        !self.allows.is_empty()
    }
    fn best_grant(&self) -> Option<Grant> {
        self.allows.iter().map(|(_, g)| *g).max()
    }
}

fn scan<'p>(
    policies: impl IntoIterator<Item = &'p NamedPolicy>,
    action_lower: &str,
    req: &Request,
    caller: &Caller,
    ctx: &EvalCtx,
) -> Scan {
    let mut out = Scan::default();
    for np in policies {
        for (i, st) in np.policy.statements.iter().enumerate() {
            if let Some((g, assumed)) = statement_applies(st, np.kind, action_lower, req, caller, ctx) {
                let r = StatementRef { policy: np.name.clone(), kind: np.kind, sid: st.sid.clone(), index: i };
                if assumed {
                    out.assumed.push(r.clone());
                }
                match st.effect {
                    Effect::Allow => out.allows.push((r, g)),
                    Effect::Deny => out.denies.push(r),
                }
            }
        }
    }
    out
}

/// Every statement of the set that applies to the request (Allow and Deny), in set order:
/// identity, boundaries, SCP levels, RCP levels, session, resource. For recommendation
/// provenance.
pub fn matching_statements(set: &PolicySet, req: &Request) -> Vec<(StatementRef, Effect)> {
    let caller = Caller::new(&req.principal, req.principal_account.as_deref());
    let mut ctx = EvalCtx::new(req, &caller, &no_unknown_keys);
    ctx.bounded = set.is_bounded();
    let action = req.action.to_ascii_lowercase();
    let all = set
        .identity
        .iter()
        .chain(&set.boundaries)
        .chain(set.scps.iter().flatten())
        .chain(set.rcps.iter().flatten())
        .chain(&set.session_policies)
        .chain(set.resource_policy.iter());
    let s = scan(all, &action, req, &caller, &ctx);
    let mut out: Vec<(StatementRef, Effect)> = s.allows.into_iter().map(|(r, _)| (r, Effect::Allow)).collect();
    out.extend(s.denies.into_iter().map(|r| (r, Effect::Deny)));
    out
}

fn implicit(layer: &'static str, reason: impl Into<String>) -> Evaluation {
    Evaluation {
        decision: Decision::ImplicitDeny,
        statements: Vec::new(),
        reason: reason.into(),
        assumed: Vec::new(),
        layer: Some(layer),
    }
}

/// Evaluate one request against a principal's policy set.
pub fn evaluate(set: &PolicySet, req: &Request) -> Evaluation {
    evaluate_observed(set, req, &no_unknown_keys)
}

/// Evaluate a request that is known to have succeeded, when the keys `unknown` names (and the
/// context lacks) cannot be known: see the module docs. With no unknown key it is [`evaluate`].
pub fn evaluate_observed(set: &PolicySet, req: &Request, unknown: UnknownKeys) -> Evaluation {
    let action = req.action.to_ascii_lowercase();
    if needs_no_permission(&action) {
        return Evaluation {
            decision: Decision::Allow,
            statements: Vec::new(),
            reason: format!("{} needs no permission: always allowed", req.action),
            assumed: Vec::new(),
            layer: None,
        };
    }
    let ev = decide(set, req, &action, unknown);
    if set.unresolved.is_empty() || ev.decision == Decision::ExplicitDeny {
        return ev;
    }
    // An unresolved identity policy could allow or deny; an unresolved boundary can only take
    // an allow away.
    let could_change = ev.decision == Decision::Allow
        || set.unresolved.iter().any(|(_, k)| !matches!(k, PolicyKind::PermissionBoundary));
    if !could_change {
        return ev;
    }
    let names: Vec<String> =
        set.unresolved.iter().map(|(arn, k)| format!("{arn} ({})", layer_of(*k, &req.resource))).collect();
    Evaluation {
        decision: Decision::Unknown,
        statements: ev.statements,
        reason: format!("{} without the unresolved policies {}", ev.reason, names.join(", ")),
        assumed: ev.assumed,
        layer: Some(layer_of(set.unresolved[0].1, &req.resource)),
    }
}

fn decide(set: &PolicySet, req: &Request, action: &str, unknown: UnknownKeys) -> Evaluation {
    let caller = Caller::new(&req.principal, req.principal_account.as_deref());
    let mut ctx = EvalCtx::new(req, &caller, unknown);
    ctx.bounded = set.is_bounded();
    let run = |ps: &[NamedPolicy]| scan(ps, action, req, &caller, &ctx);

    let identity = run(&set.identity);
    let boundary = run(&set.boundaries);
    let session = run(&set.session_policies);
    let scps: Vec<Scan> = set.scps.iter().map(|level| run(level)).collect();
    let service = action.split(':').next().unwrap_or_default();
    let rcps: Vec<Scan> =
        if RCP_SERVICES.contains(&service) { set.rcps.iter().map(|level| run(level)).collect() } else { Vec::new() };
    let resource = set.resource_policy.as_ref().map(|p| run(std::slice::from_ref(p)));

    // 1. Explicit deny anywhere.
    let mut denies: Vec<StatementRef> = Vec::new();
    for s in [&identity, &boundary]
        .into_iter()
        .chain(scps.iter())
        .chain(rcps.iter())
        .chain([&session])
        .chain(resource.iter())
    {
        denies.extend(s.denies.iter().cloned());
    }
    if !denies.is_empty() {
        let names: Vec<String> = denies.iter().map(|r| format!("{} ({})", r, r.kind.as_str())).collect();
        let layer = layer_of(denies[0].kind, &req.resource);
        return Evaluation {
            decision: Decision::ExplicitDeny,
            statements: denies,
            reason: format!("explicit deny by {}", names.join(", ")),
            assumed: Vec::new(),
            layer: Some(layer),
        };
    }

    // 2. Every SCP level must allow; every RCP level of the resource's account too.
    for (i, level) in scps.iter().enumerate() {
        if !level.allows() {
            return implicit("scp", format!("SCP level {} does not allow", i + 1));
        }
    }
    for (i, level) in rcps.iter().enumerate() {
        if !level.allows() {
            return implicit("rcp", format!("RCP level {} does not allow", i + 1));
        }
    }

    // 3. Identity path, resource policy.
    let root = caller.shape == Shape::Root;
    let id_allow = root || identity.allows();
    let b_ok = root || set.boundaries.is_empty() || boundary.allows();
    let s_ok = set.session_policies.is_empty() || session.allows();
    let identity_path = id_allow && b_ok && s_ok;
    let identity_failure = || {
        if !id_allow {
            "no identity policy allows"
        } else if !b_ok {
            "permission boundary does not allow"
        } else {
            "session policy does not allow"
        }
    };
    let identity_layer = if !id_allow {
        "identity"
    } else if !b_ok {
        "boundary"
    } else {
        "session"
    };
    let grant = resource.as_ref().and_then(Scan::best_grant);
    let is_trust = set.resource_policy.as_ref().is_some_and(|p| p.kind == PolicyKind::Trust);
    // The resource's account: as given, else the account field of its ARN (empty for S3).
    let resource_account = req.resource_account.as_deref().or_else(|| crate::arn::account_of(&req.resource));
    let same_account = match (&caller.account, resource_account) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    // A KMS key policy is the root of access to its key: IAM policies take effect only when the
    // key policy grants the account (or the caller).
    let key_policy_gate =
        set.resource_policy.as_ref().is_some_and(|p| p.kind == PolicyKind::Resource) && is_kms_key(&req.resource);
    // Same account: can the resource policy allow on its own?
    let resource_alone = match grant {
        Some(Grant::Direct) => true,
        Some(Grant::Entity) => b_ok && s_ok,
        _ => false,
    };

    // The layer that did not allow, for an implicit deny.
    let mut layer = identity_layer;
    let resource_layer = set.resource_policy.as_ref().map_or("resource", |p| layer_of(p.kind, &req.resource));
    let (allowed, via_identity, via_resource, reason) = if !same_account {
        match grant {
            None if set.resource_policy.is_none() => {
                layer = "resource";
                (false, false, false, "cross-account request: no resource policy".to_string())
            }
            None => {
                layer = resource_layer;
                (false, false, false, "cross-account request: resource policy does not allow".to_string())
            }
            Some(_) if !identity_path => {
                (false, false, false, format!("cross-account request: {}", identity_failure()))
            }
            Some(_) => (true, true, true, "allowed by identity and resource policies (cross-account)".to_string()),
        }
    } else if is_trust {
        match grant {
            None => {
                layer = "trust";
                (false, false, false, "trust policy does not allow".to_string())
            }
            Some(_) if resource_alone => {
                (true, identity_path && identity.allows(), true, "allowed by trust policy".to_string())
            }
            Some(_) if identity_path => {
                (true, identity.allows(), true, "allowed by trust policy and identity policy".to_string())
            }
            Some(g) => (false, false, false, trust_failure(g, identity_failure())),
        }
    } else if key_policy_gate && grant.is_none() {
        layer = "kms-key";
        (
            false,
            false,
            false,
            "the KMS key policy does not allow (IAM policies apply only where it grants the account)".to_string(),
        )
    } else if identity_path || resource_alone {
        let via_resource = grant.is_some_and(|g| g > Grant::Account || identity_path);
        let reason = match (identity_path && identity.allows(), via_resource) {
            (true, true) => "allowed by identity and resource policies",
            (true, false) => "allowed by identity policy",
            (false, true) => "allowed by resource policy",
            (false, false) => "allowed: account root user",
        };
        (true, identity_path && identity.allows(), via_resource, reason.to_string())
    } else {
        let reason = match grant {
            None if !id_allow => "no identity or resource policy allows".to_string(),
            Some(Grant::Account) if !id_allow => {
                "resource policy grants only to the account and no identity policy allows".to_string()
            }
            Some(Grant::Entity) => {
                let blocker =
                    if !b_ok { "permission boundary does not allow" } else { "session policy does not allow" };
                format!("resource policy grants the role, but {blocker}")
            }
            _ => identity_failure().to_string(),
        };
        (false, false, false, reason)
    };

    if !allowed {
        return implicit(layer, reason);
    }
    let mut statements = Vec::new();
    if via_identity {
        statements.extend(identity.allows.iter().map(|(r, _)| r.clone()));
    }
    if via_resource {
        if let Some(r) = &resource {
            statements.extend(r.allows.iter().map(|(r, _)| r.clone()));
        }
    }
    let assumed = statements
        .iter()
        .filter(|r| identity.assumed.contains(r) || resource.as_ref().is_some_and(|s| s.assumed.contains(r)))
        .cloned()
        .collect();
    Evaluation { decision: Decision::Allow, statements, reason, assumed, layer: None }
}

fn trust_failure(g: Grant, identity_failure: &str) -> String {
    match g {
        Grant::Account => format!("trust policy trusts the account but {identity_failure}"),
        _ => format!("trust policy allows the role but {identity_failure}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_policy;

    fn set(doc: serde_json::Value) -> PolicySet {
        let mut s = PolicySet::default();
        s.identity.push(NamedPolicy::new("p", PolicyKind::Identity, parse_policy(&doc).unwrap()));
        s
    }

    fn req(action: &str, resource: &str) -> Request {
        let mut r = Request {
            principal: "arn:aws:iam::111122223333:user/bob".into(),
            action: action.into(),
            resource: resource.into(),
            ..Request::default()
        };
        r.context.insert("aws:username", "bob");
        r
    }

    fn tags(key: &str) -> bool {
        key.starts_with("aws:resourcetag/")
    }

    #[test]
    fn an_allow_on_an_unknown_key_may_allow_and_is_named() {
        let s = set(serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Own", "Effect": "Allow", "Action": "ec2:StartInstances", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}}},
            {"Sid": "Ip", "Effect": "Allow", "Action": "ec2:StopInstances", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
        ]}));
        let r = req("ec2:StartInstances", "arn:aws:ec2:us-east-1:111122223333:instance/i-1");
        // Plain evaluation: the key is absent, so StringEquals is false.
        assert_eq!(evaluate(&s, &r).decision, Decision::ImplicitDeny);
        let ev = evaluate_observed(&s, &r, &tags);
        assert_eq!(ev.decision, Decision::Allow);
        assert_eq!(ev.assumed.len(), 1);
        assert_eq!(ev.assumed[0].to_string(), "p#Own");
        // A known key that is false still decides: unknown AND false is false.
        let mut r2 = req("ec2:StopInstances", "*");
        r2.context.insert("aws:SourceIp", "192.0.2.1");
        assert_eq!(evaluate_observed(&s, &r2, &tags).decision, Decision::ImplicitDeny);
        r2.context.insert("aws:SourceIp", "10.1.2.3");
        assert_eq!(evaluate_observed(&s, &r2, &tags).decision, Decision::Allow);
        // A key present in the context is evaluated, not assumed.
        let mut r3 = r.clone();
        r3.context.insert("aws:ResourceTag/owner", "alice");
        assert_eq!(evaluate_observed(&s, &r3, &tags).decision, Decision::ImplicitDeny);
        r3.context.insert("aws:ResourceTag/owner", "bob");
        let ev = evaluate_observed(&s, &r3, &tags);
        assert_eq!(ev.decision, Decision::Allow);
        assert!(ev.assumed.is_empty());
    }

    #[test]
    fn a_session_is_its_role_in_its_own_partition() {
        // aws:PrincipalArn of a session is the role's ARN, in the session's partition.
        for partition in ["aws", "aws-cn", "aws-us-gov"] {
            let role = format!("arn:{partition}:iam::111122223333:role/app");
            let s =
                set(serde_json::json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalArn": role}}}]}));
            let r = Request {
                principal: format!("arn:{partition}:sts::111122223333:assumed-role/app/i-1"),
                action: "s3:GetObject".into(),
                resource: "*".into(),
                ..Request::default()
            };
            assert_eq!(evaluate(&s, &r).decision, Decision::Allow, "{partition}");
        }
    }

    #[test]
    fn a_deny_on_an_unknown_key_did_not_apply_to_a_successful_call() {
        let s = set(serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
            {"Sid": "Prod", "Effect": "Deny", "Action": "ec2:StopInstances", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"}}},
            {"Sid": "NotVpce", "Effect": "Deny", "Action": "ec2:StopInstances", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}
        ]}));
        let r = req("ec2:StopInstances", "*");
        // Plain: StringNotEquals on an absent key is true, so NotVpce denies.
        assert_eq!(evaluate(&s, &r).decision, Decision::ExplicitDeny);
        let unknown = |k: &str| tags(k) || k == "aws:sourcevpce";
        let ev = evaluate_observed(&s, &r, &unknown);
        assert_eq!(ev.decision, Decision::Allow);
        assert!(ev.assumed.is_empty(), "the allow is unconditional");
    }

    #[test]
    fn every_operator_on_an_absent_unknown_key_is_unknown() {
        for (op, val) in [
            ("StringEquals", "x"),
            ("StringNotEquals", "x"),
            ("StringLikeIfExists", "x*"),
            ("ForAllValues:StringEquals", "x"),
            ("ForAnyValue:StringEquals", "x"),
            ("Null", "true"),
            ("Null", "false"),
        ] {
            let doc = serde_json::json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {op: {"aws:ResourceTag/k": val}}}
            ]});
            let st = &parse_policy(&doc).unwrap().statements[0];
            assert_eq!(st.conditions_truth(&Context::new(), &tags), Truth::Unknown, "{op}");
            assert_eq!(st.unknown_condition_keys(&Context::new(), &tags), vec!["aws:ResourceTag/k"], "{op}");
        }
    }
}
