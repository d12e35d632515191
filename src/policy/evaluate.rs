//! The decision: explicit deny, SCP levels, identity/boundary/session intersection, resource
//! policies (same-account union, cross-account intersection), trust policies — with the
//! deciding statements named.
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

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use super::condition::{Truth, UnknownKeys};
use super::document::{Effect, NamedPolicy, PolicyKind, PolicySet, PrincipalType, Principals, Statement};
use super::variables::Lookup;
use crate::arn::Arn;

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
    /// ([`evaluate_observed`]); always empty for [`evaluate`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assumed: Vec<StatementRef>,
    /// Denials: the layer that denied (`identity`, `boundary`, `scp`, `rcp`, `resource`,
    /// `session`, `kms-key`, `trust`): the first denying statement's for an explicit deny, the
    /// layer that did not allow for an implicit one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<&'static str>,
}

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
enum Shape {
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
struct Caller {
    arn: String,
    account: Option<String>,
    shape: Shape,
    /// Role name for roles and assumed-role sessions.
    role_name: Option<String>,
    /// The role ARN behind an assumed-role session (path unknown, so none).
    session_role: Option<String>,
}

impl Caller {
    fn new(principal: &str, account_hint: Option<&str>) -> Caller {
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
    fn role_arn(&self) -> Option<String> {
        self.session_role.clone()
    }

    /// What `*` (or an applicable NotPrincipal) grants this caller.
    fn wildcard_grant(&self) -> Grant {
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
fn match_principals(p: &Principals, c: &Caller) -> Option<Grant> {
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

// ---------------------------------------------------------------------------------------------
// Static access analysis ("effective permissions").

/// Three-way answer for "can this principal perform this action?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Access {
    /// Not allowed (no allow, or an unconditional deny on every resource).
    None,
    /// Allowed only on some resources or under conditions, or a conditional/narrow deny exists.
    Partial,
    /// Allowed on every resource without conditions, and no deny can apply.
    Full,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::None => "None",
            Access::Partial => "Partial",
            Access::Full => "Full",
        }
    }
}

/// Who the effective permissions are computed for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalInfo {
    pub arn: String,
    pub account: Option<String>,
}

struct IndexedStatement<'a> {
    st: &'a Statement,
    slot: usize,
}

/// What applies to every action of one service, and what must be checked per action.
#[derive(Clone)]
struct ServiceSummary {
    /// Best allow per layer slot from statements that apply to every action of the service.
    base: Vec<Access>,
    hard_deny: bool,
    soft_deny: bool,
    /// Statements to test per action.
    check: Vec<u32>,
}

/// Precompiled index of a policy set for fast per-action [`Access`] answers.
///
/// Resource-based policies are ignored (they are per resource); conditions are treated as
/// unknown (an allow with conditions gives Partial, a deny with conditions caps at Partial).
/// A resource pattern counts as "every resource" when it is `*` or `arn:<p>:<svc|*>:<*|>:<*|>:*`
/// for the action's service.
///
/// Built once per principal: for each service named by a policy (and once for all other
/// services) the statements that apply to all of its actions (`s3:*`, `*`, a NotAction that
/// does not name the service) are folded into a per-service baseline, so a query only tests the
/// few statements with action-specific patterns.
pub struct AccessIndex<'a> {
    statements: Vec<IndexedStatement<'a>>,
    /// Lowercased service prefix -> summary for that service.
    by_service: HashMap<String, ServiceSummary, BuildHasherDefault<Fnv>>,
    /// Summary for services no policy names literally.
    other: ServiceSummary,
    slots: usize,
    scp_levels: usize,
    has_boundary: bool,
    has_session: bool,
    root: bool,
}

/// Does a statement apply to all, none or only some actions of a service?
enum Coverage {
    All,
    NoAction,
    Some,
}

fn coverage(st: &Statement, service: Option<&str>) -> Coverage {
    let relevant = st.action.patterns_for(service);
    let (mut any, mut whole) = (false, false);
    for p in relevant {
        any = true;
        // `svc:*`, or `*` (service None, whole action any).
        if p.name == super::matching::Glob::Any {
            whole = true;
        }
    }
    match (st.action.negated, any, whole) {
        (false, _, true) => Coverage::All,
        (false, false, _) => Coverage::NoAction,
        (true, _, true) => Coverage::NoAction,
        (true, false, _) => Coverage::All,
        _ => Coverage::Some,
    }
}

impl<'a> AccessIndex<'a> {
    pub fn new(set: &'a PolicySet, principal: &PrincipalInfo) -> AccessIndex<'a> {
        let scp_levels = set.scps.len();
        let slots = 3 + scp_levels;
        let layers = set
            .identity
            .iter()
            .map(|p| (p, 0))
            .chain(set.boundaries.iter().map(|p| (p, 1)))
            .chain(set.session_policies.iter().map(|p| (p, 2)))
            .chain(set.scps.iter().enumerate().flat_map(|(i, l)| l.iter().map(move |p| (p, 3 + i))));
        let mut statements = Vec::new();
        for (np, slot) in layers {
            statements.extend(np.policy.statements.iter().map(|st| IndexedStatement { st, slot }));
        }
        let mut services: Vec<&str> = statements.iter().flat_map(|s| s.st.action.services()).collect();
        services.sort_unstable();
        services.dedup();
        let summarize = |service: Option<&str>| {
            let mut sum = ServiceSummary {
                base: vec![Access::None; slots],
                hard_deny: false,
                soft_deny: false,
                check: Vec::new(),
            };
            for (id, IndexedStatement { st, slot }) in statements.iter().enumerate() {
                match coverage(st, service) {
                    Coverage::NoAction => {}
                    Coverage::Some => sum.check.push(id as u32),
                    Coverage::All => match service {
                        Some(svc) => {
                            let everywhere = st.conditions.is_empty() && covers_every_resource(st, svc);
                            apply(&mut sum.base, &mut sum.hard_deny, &mut sum.soft_deny, st.effect, *slot, everywhere);
                        }
                        // Unnamed services: fold in unless universality depends on the service
                        // (`arn:aws:s3:::*`), which is then decided per action.
                        None => match covers_every_resource_of_any_service(st) {
                            Some(all) => {
                                let everywhere = st.conditions.is_empty() && all;
                                apply(
                                    &mut sum.base,
                                    &mut sum.hard_deny,
                                    &mut sum.soft_deny,
                                    st.effect,
                                    *slot,
                                    everywhere,
                                );
                            }
                            None => sum.check.push(id as u32),
                        },
                    },
                }
            }
            sum
        };
        let by_service = services.iter().map(|svc| (svc.to_string(), summarize(Some(svc)))).collect();
        let other = summarize(None);
        AccessIndex {
            by_service,
            other,
            slots,
            scp_levels,
            has_boundary: !set.boundaries.is_empty(),
            has_session: !set.session_policies.is_empty(),
            root: Caller::new(&principal.arn, principal.account.as_deref()).shape == Shape::Root,
            statements,
        }
    }

    /// Access to `action` (any case) on any resource under an unknown context.
    pub fn access(&self, action: &str) -> Access {
        let mut buf = [0u8; 128];
        let owned;
        let lower: &str = if action.len() <= buf.len() {
            buf[..action.len()].copy_from_slice(action.as_bytes());
            buf[..action.len()].make_ascii_lowercase();
            std::str::from_utf8(&buf[..action.len()]).unwrap_or_default()
        } else {
            owned = action.to_ascii_lowercase();
            &owned
        };
        let service = lower.split(':').next().unwrap_or("");
        let sum = self.by_service.get(service).unwrap_or(&self.other);
        if sum.hard_deny {
            return Access::None;
        }
        let mut small = [Access::None; 16];
        let mut large = Vec::new();
        let best: &mut [Access] = if self.slots <= small.len() {
            small[..self.slots].copy_from_slice(&sum.base);
            &mut small[..self.slots]
        } else {
            large.extend_from_slice(&sum.base);
            &mut large
        };
        let mut hard_deny = false;
        let mut soft_deny = sum.soft_deny;
        for &id in &sum.check {
            let IndexedStatement { st, slot } = &self.statements[id as usize];
            if st.matches_action_lower(lower) {
                let everywhere = st.conditions.is_empty() && covers_every_resource(st, service);
                apply(best, &mut hard_deny, &mut soft_deny, st.effect, *slot, everywhere);
            }
        }
        if hard_deny {
            return Access::None;
        }
        let mut result = if self.root { Access::Full } else { best[0] };
        if self.has_boundary && !self.root {
            result = result.min(best[1]);
        }
        if self.has_session {
            result = result.min(best[2]);
        }
        for level in 0..self.scp_levels {
            result = result.min(best[3 + level]);
        }
        if soft_deny && result == Access::Full {
            result = Access::Partial;
        }
        result
    }
}

/// Fold one applicable statement into the per-layer maxima and deny flags.
fn apply(
    best: &mut [Access],
    hard_deny: &mut bool,
    soft_deny: &mut bool,
    effect: Effect,
    slot: usize,
    everywhere: bool,
) {
    match effect {
        Effect::Deny if everywhere => *hard_deny = true,
        Effect::Deny => *soft_deny = true,
        Effect::Allow => {
            let a = if everywhere { Access::Full } else { Access::Partial };
            best[slot] = best[slot].max(a);
        }
    }
}

/// FNV-1a: the service-prefix map is hit once per query with short keys, where SipHash's
/// setup cost dominates. Keys come from policies, so hash flooding is not a concern here.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Resource coverage independent of the service: Some(true) for `*`-like patterns, Some(false)
/// when no pattern covers a whole service, None when it depends on the service.
fn covers_every_resource_of_any_service(st: &Statement) -> Option<bool> {
    match &st.resource {
        None => Some(true),
        Some(r) if r.negated => Some(false),
        Some(r) => {
            let globs: Vec<_> = r.patterns.iter().filter_map(|p| p.static_glob()).collect();
            // A service name no pattern can spell: only service-agnostic patterns cover it.
            if globs.iter().any(|g| g.is_universal_for("\u{0}")) {
                return Some(true);
            }
            match globs.iter().any(|g| g.service_specific_universal()) {
                true => None,
                false => Some(false),
            }
        }
    }
}

fn covers_every_resource(st: &Statement, service_lower: &str) -> bool {
    match &st.resource {
        None => true,
        Some(r) if r.negated => false,
        Some(r) => r.patterns.iter().any(|p| p.static_glob().is_some_and(|g| g.is_universal_for(service_lower))),
    }
}

/// One-off [`Access`] for an action. For many actions build an [`AccessIndex`] once.
pub fn action_access(set: &PolicySet, action: &str, principal: &PrincipalInfo) -> Access {
    AccessIndex::new(set, principal).access(action)
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
