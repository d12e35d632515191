//! Single-event rules: the table is data (`rules/detect.yml`, compiled into the binary) and this
//! module is its interpreter. Each [`Rule`] names the calls it looks at (event source + event
//! names), optionally the identity types, how failed calls count, and a condition ([`Cond`])
//! over the event's fields for the cases where the call alone is not enough; what fields alone
//! cannot say ("Principal *", "0.0.0.0/0", "user other than the caller", ...) is a named check
//! ([`CHECKS`]). Matches are grouped per incident: same detector, same principal, no gap longer
//! than [`super::DetectOptions::group_gap_ms`].
//!
//! Failed calls (an `errorCode`), per rule ([`OnError`]):
//! - tampering / defence evasion and root activity: kept, a group made only of failures is one
//!   severity step lower (an attempt to blind the defenders is itself a signal);
//! - everything else: ignored (nothing changed; the access-denied burst detector covers noisy
//!   failing attempts).

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::event::{any_string, arn_account, embedded_json, get_key, get_str, Event, FastMap};
use super::findings::{common_evidence, json_set, DetectorInfo, Finding, FindingDraft, Severity};
use super::Prepared;
use crate::policy::{parse_policy, Effect, Policy, PrincipalType, Statement};

/// The rule table, as shipped.
const RULES_YAML: &str = include_str!("../../rules/detect.yml");

/// What a failed call (one with an error code) means for a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Failed calls do not match.
    Exclude,
    /// Failed calls match; a group of failures only is one severity lower.
    Downgrade,
}

/// A named check: what the event's fields alone cannot express.
pub type Check = fn(&RuleInput) -> bool;

/// One single-event rule (one entry of `rules/detect.yml`).
pub struct Rule {
    pub info: DetectorInfo,
    /// The calls the rule looks at.
    pub calls: Vec<Call>,
    /// Identity types that can match (`Root`, `IAMUser`, ...); empty = any.
    pub identity_types: Vec<String>,
    pub on_error: OnError,
    /// The condition a call must meet; None = the call alone is enough.
    pub when: Option<Cond>,
    /// Raises the group's severity one step when any of its events meets it.
    pub escalate: Option<Cond>,
    /// Request-parameter keys whose values are reported as the finding's `targets`.
    pub target_keys: Vec<String>,
    /// Routine for some principals (deployments, operations): a principal that already matched
    /// the rule in the baseline period is not reported for it at all.
    pub routine_if_in_baseline: bool,
    /// A posture finding (e.g. a user who signs in without MFA): every match of a principal in the
    /// window is one finding, not one per burst of activity.
    pub one_per_principal: bool,
    /// Summary template: `{actor}`, `{principal}`, `{count}`, `{events}`, `{targets}`.
    pub summary: String,
}

/// Event source (None = any) and event names (empty = any), compared without Lambda's
/// API-version suffix.
pub struct Call {
    pub source: Option<String>,
    pub names: Vec<String>,
}

/// A condition over one event.
pub enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    Field(Field, Test),
    Check(Check),
}

/// An event field a condition reads.
pub enum Field {
    /// Without Lambda's API-version suffix (the name the rule's calls matched).
    EventName,
    EventSource,
    EventType,
    /// `true` when the call failed (error code or message).
    Failed,
    /// A path of keys into one of the JSON columns.
    Json(Part, Vec<String>),
}

#[derive(Clone, Copy)]
pub enum Part {
    Request,
    Response,
    Additional,
}

pub enum Test {
    /// Strings compared ignoring ASCII case, other JSON values exactly.
    Equals(Value),
    EqualsCased(String),
    InCased(Vec<String>),
    Exists(bool),
}

impl Test {
    fn on_str(&self, v: Option<&str>) -> bool {
        match self {
            Test::Equals(Value::String(w)) => v.is_some_and(|s| s.eq_ignore_ascii_case(w)),
            Test::Equals(_) => false,
            Test::EqualsCased(w) => v == Some(w.as_str()),
            Test::InCased(list) => v.is_some_and(|s| list.iter().any(|w| w == s)),
            Test::Exists(want) => v.is_some() == *want,
        }
    }

    fn on_json(&self, v: Option<&Value>) -> bool {
        match self {
            Test::Exists(want) => v.is_some() == *want,
            Test::Equals(w) if !w.is_string() => v == Some(w),
            _ => self.on_str(v.and_then(Value::as_str)),
        }
    }
}

impl Cond {
    pub fn eval(&self, input: &RuleInput) -> bool {
        match self {
            Cond::All(items) => items.iter().all(|c| c.eval(input)),
            Cond::Any(items) => items.iter().any(|c| c.eval(input)),
            Cond::Not(c) => !c.eval(input),
            Cond::Check(check) => check(input),
            Cond::Field(field, test) => {
                let e = input.event;
                match field {
                    Field::EventName => test.on_str(Some(e.base_name())),
                    Field::EventSource => test.on_str(Some(&e.event_source)),
                    Field::EventType => test.on_str(e.event_type.as_deref()),
                    Field::Failed => test.on_json(Some(&Value::Bool(e.is_error()))),
                    Field::Json(part, path) => {
                        let root = match part {
                            Part::Request => input.request(),
                            Part::Response => input.response(),
                            Part::Additional => input.additional(),
                        };
                        test.on_json(root.and_then(|r| path.iter().try_fold(r, |v, k| get_key(v, k))))
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The table: `rules/detect.yml` read into [`Rule`]s

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    family: String,
    severity: String,
    mitre: String,
    description: String,
    calls: Vec<CallSpec>,
    #[serde(default)]
    identity_types: Vec<String>,
    on_error: String,
    #[serde(default)]
    when: Option<CondSpec>,
    #[serde(default)]
    escalate: Option<CondSpec>,
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    routine_if_in_baseline: bool,
    #[serde(default)]
    one_per_principal: bool,
    summary: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallSpec {
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    names: Vec<String>,
}

/// One condition as written: exactly one of `all`, `any`, `not`, `check`, or `field` with one
/// test.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CondSpec {
    all: Option<Vec<CondSpec>>,
    any: Option<Vec<CondSpec>>,
    not: Option<Box<CondSpec>>,
    check: Option<String>,
    field: Option<String>,
    equals: Option<Value>,
    equals_cased: Option<String>,
    in_cased: Option<Vec<String>>,
    exists: Option<bool>,
}

/// Named checks a rule's `check:` can use.
pub const CHECKS: &[(&str, Check)] = &[
    ("own_request", own_request),
    ("trail_bucket", trail_bucket),
    ("bucket_policy_cuts_cloudtrail", bucket_policy_cuts_cloudtrail),
    ("selectors_reduce_coverage", |input| selectors_reduce_coverage(input.request())),
    ("targets_other_user", targets_other_user),
    ("grants_admin", grants_admin),
    ("trust_external", trust_external),
    ("shared_publicly", shared_publicly),
    ("shared_with_unknown_account", shared_with_unknown_account),
    ("bucket_exposed", bucket_exposed),
    ("open_to_world", open_to_world),
    ("admin_ports", admin_ports),
    ("batch_secrets_in_bulk", batch_secrets_in_bulk),
    ("ssm_decrypt_bulk", ssm_decrypt_bulk),
    ("launches_unusual_type", launches_unusual_type),
    ("lambda_opened", lambda_opened),
    ("foreign_layer", foreign_layer),
    ("bucket_grants_foreign_account", bucket_grants_foreign_account),
];

fn field(name: &str) -> Result<Field, String> {
    Ok(match name {
        "eventName" => Field::EventName,
        "eventSource" => Field::EventSource,
        "eventType" => Field::EventType,
        "failed" => Field::Failed,
        _ => {
            let (part, path) = name.split_once('.').ok_or_else(|| format!("unknown field \"{name}\""))?;
            let part = match part {
                "requestParameters" => Part::Request,
                "responseElements" => Part::Response,
                "additionalEventData" => Part::Additional,
                _ => return Err(format!("unknown field \"{name}\"")),
            };
            Field::Json(part, path.split('.').map(str::to_string).collect())
        }
    })
}

fn compile(spec: CondSpec) -> Result<Cond, String> {
    let CondSpec { all, any, not, check, field: f, equals, equals_cased, in_cased, exists } = spec;
    let tests: Vec<Test> = [
        equals.map(Test::Equals),
        equals_cased.map(Test::EqualsCased),
        in_cased.map(Test::InCased),
        exists.map(Test::Exists),
    ]
    .into_iter()
    .flatten()
    .collect();
    let forms = [all.is_some(), any.is_some(), not.is_some(), check.is_some(), f.is_some()];
    if forms.iter().filter(|&&x| x).count() != 1 {
        return Err("a condition needs exactly one of all, any, not, check, field".into());
    }
    let list = |items: Vec<CondSpec>| items.into_iter().map(compile).collect::<Result<Vec<_>, _>>();
    if f.is_none() && !tests.is_empty() {
        return Err("equals / equals_cased / in_cased / exists need a field".into());
    }
    Ok(match (all, any, not, check, f) {
        (Some(items), ..) => Cond::All(list(items)?),
        (_, Some(items), ..) => Cond::Any(list(items)?),
        (_, _, Some(c), ..) => Cond::Not(Box::new(compile(*c)?)),
        (_, _, _, Some(name), _) => {
            let check = CHECKS.iter().find(|(n, _)| *n == name).ok_or_else(|| format!("unknown check \"{name}\""))?;
            Cond::Check(check.1)
        }
        (_, _, _, _, Some(name)) => {
            let mut tests = tests;
            if tests.len() != 1 {
                return Err(format!("field \"{name}\" needs exactly one of equals, equals_cased, in_cased, exists"));
            }
            Cond::Field(field(&name)?, tests.remove(0))
        }
        _ => unreachable!("exactly one form, checked above"),
    })
}

/// The rules (lives for the whole run: the detector infos are `'static`).
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Reads a rule table; the error names the rule (by position and id) and the reason.
pub fn load(yaml: &str) -> Result<Vec<Rule>, String> {
    let specs: Vec<RuleSpec> = serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())?;
    let mut ids = BTreeSet::new();
    specs
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let at = |reason: String| format!("rule {} ({}): {reason}", i + 1, r.id);
            if !ids.insert(r.id.clone()) {
                return Err(at("duplicate id".into()));
            }
            let severity = match r.severity.as_str() {
                "low" => Severity::Low,
                "medium" => Severity::Medium,
                "high" => Severity::High,
                "critical" => Severity::Critical,
                other => return Err(at(format!("unknown severity \"{other}\""))),
            };
            let on_error = match r.on_error.as_str() {
                "exclude" => OnError::Exclude,
                "downgrade" => OnError::Downgrade,
                other => return Err(at(format!("unknown on_error \"{other}\""))),
            };
            if r.calls.is_empty() {
                return Err(at("no calls (`- {}` is any call)".into()));
            }
            let when = r.when.map(compile).transpose().map_err(|e| at(format!("when: {e}")))?;
            let escalate = r.escalate.map(compile).transpose().map_err(|e| at(format!("escalate: {e}")))?;
            Ok(Rule {
                info: DetectorInfo {
                    id: leak(r.id.clone()),
                    family: leak(r.family),
                    severity,
                    mitre: leak(r.mitre),
                    description: leak(r.description),
                },
                calls: r.calls.into_iter().map(|c| Call { source: c.source, names: c.names }).collect(),
                identity_types: r.identity_types,
                on_error,
                when,
                escalate,
                target_keys: r.targets,
                routine_if_in_baseline: r.routine_if_in_baseline,
                one_per_principal: r.one_per_principal,
                summary: r.summary,
            })
        })
        .collect()
}

/// The rule table.
pub fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    // Built in and covered by the tests: a failure here is a defect of the shipped table.
    RULES.get_or_init(|| load(RULES_YAML).unwrap_or_else(|e| panic!("rules/detect.yml: {e}")))
}

/// What a predicate sees: the event, its JSON columns parsed at most once, and the environment.
pub struct RuleInput<'a> {
    pub event: &'a Event,
    pub env: &'a RuleEnv,
    req: OnceCell<Option<Value>>,
    resp: OnceCell<Option<Value>>,
    add: OnceCell<Option<Value>>,
}

impl<'a> RuleInput<'a> {
    pub fn new(event: &'a Event, env: &'a RuleEnv) -> Self {
        RuleInput { event, env, req: OnceCell::new(), resp: OnceCell::new(), add: OnceCell::new() }
    }
    pub fn request(&self) -> Option<&Value> {
        self.req.get_or_init(|| self.event.request()).as_ref()
    }
    pub fn response(&self) -> Option<&Value> {
        self.resp.get_or_init(|| self.event.response()).as_ref()
    }
    pub fn additional(&self) -> Option<&Value> {
        self.add.get_or_init(|| self.event.additional()).as_ref()
    }
    fn req_str(&self, key: &str) -> Option<&str> {
        self.request().and_then(|r| get_str(r, key))
    }
}

/// Facts gathered from the whole event set that some predicates need.
#[derive(Debug, Default, Clone)]
pub struct RuleEnv {
    /// Accounts that are "ours": every account in the lake plus configured trusted accounts.
    pub known_accounts: BTreeSet<String>,
    /// Buckets that CloudTrail trails deliver to (from CreateTrail / UpdateTrail requests).
    pub trail_buckets: BTreeSet<String>,
}

impl RuleEnv {
    pub fn from_events(events: &[Event], trusted: &BTreeSet<String>) -> Self {
        let mut env = RuleEnv { known_accounts: trusted.clone(), ..Default::default() };
        for e in events {
            if let Some(acct) = e.recipient_account_id.as_deref() {
                if !env.known_accounts.contains(acct) {
                    env.known_accounts.insert(acct.to_string());
                }
            }
            if e.event_source == "cloudtrail.amazonaws.com"
                && matches!(e.event_name.as_str(), "CreateTrail" | "UpdateTrail")
            {
                if let Some(bucket) = e.request().as_ref().and_then(|r| get_str(r, "s3BucketName").map(str::to_string))
                {
                    env.trail_buckets.insert(bucket);
                }
            }
        }
        env
    }

    fn is_trail_bucket(&self, bucket: &str) -> bool {
        self.trail_buckets.contains(bucket) || bucket.to_ascii_lowercase().contains("cloudtrail")
    }
}

// ---------------------------------------------------------------------------------------------
// Named checks

/// The IAM policy document under the first of `keys` present in the request (an object or JSON
/// text, possibly URL-encoded), read by the policy module; None when absent or not a policy.
fn request_policy(input: &RuleInput, keys: &[&str]) -> Option<Policy> {
    let req = input.request()?;
    let raw = keys.iter().find_map(|k| get_key(req, k))?;
    parse_policy(&embedded_json(raw)?).ok()
}

fn allows(policy: &Policy) -> impl Iterator<Item = &Statement> {
    policy.statements.iter().filter(|s| s.effect == Effect::Allow)
}

/// AWS principals of a `Principal` element (`"*"` for everyone); Service / Federated principals
/// and `NotPrincipal` are not AWS accounts granted access.
fn aws_principals(st: &Statement) -> Vec<&str> {
    match &st.principal {
        Some(p) if !p.negated && p.any => vec!["*"],
        Some(p) if !p.negated => {
            p.entries.get(&PrincipalType::Aws).map(|v| v.iter().map(String::as_str).collect()).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

/// The request names the bucket a trail delivers to.
fn trail_bucket(input: &RuleInput) -> bool {
    input.req_str("bucketName").is_some_and(|b| input.env.is_trail_bucket(b))
}

/// A new bucket policy that no longer lets CloudTrail deliver (no Allow for the CloudTrail
/// service) or that denies something.
fn bucket_policy_cuts_cloudtrail(input: &RuleInput) -> bool {
    let Some(policy) = request_policy(input, &["bucketPolicy", "policy"]) else { return true };
    let delivers = allows(&policy).any(|s| {
        s.principal.as_ref().is_some_and(|p| {
            !p.negated
                && p.entries
                    .get(&PrincipalType::Service)
                    .is_some_and(|v| v.iter().any(|s| s == "cloudtrail.amazonaws.com"))
        })
    });
    !delivers || policy.statements.iter().any(|s| s.effect == Effect::Deny)
}

fn grants_admin(input: &RuleInput) -> bool {
    if input.event.event_name.starts_with("Attach") {
        return input.req_str("policyArn").is_some_and(|arn| arn.ends_with(":policy/AdministratorAccess"));
    }
    request_policy(input, &["policyDocument"]).is_some_and(|doc| {
        allows(&doc).any(|s| {
            !s.action.negated
                && s.action.patterns.iter().any(|p| p.raw == "*")
                && s.resource.as_ref().is_some_and(|r| !r.negated)
                && s.resources().contains(&"*")
        })
    })
}

fn trust_external(input: &RuleInput) -> bool {
    let Some(doc) = request_policy(input, &["policyDocument"]) else { return false };
    let own = input.event.target_account();
    let found = allows(&doc).flat_map(aws_principals).any(|p| {
        if p == "*" {
            return true;
        }
        let acct = if p.starts_with("arn:") { arn_account(p) } else { Some(p) };
        match acct {
            Some(a) => Some(a) != own && !input.env.known_accounts.contains(a),
            None => false,
        }
    });
    found
}

/// A statement allows a foreign account something beyond dropping objects in (log delivery
/// writes are how AWS services and partners deliver; reading or managing is exposure).
fn bucket_grants_foreign_account(input: &RuleInput) -> bool {
    let Some(doc) = request_policy(input, &["bucketPolicy", "policy"]) else { return false };
    let found = allows(&doc).any(|s| {
        let org_scoped = s.conditions.iter().any(|c| {
            let key = c.key.to_ascii_lowercase();
            key.contains("principalorgid") || key.contains("sourcevpc")
        });
        let write_only = !s.action.negated
            && !s.action.patterns.is_empty()
            && s.action.patterns.iter().all(|p| {
                let a = p.raw.to_ascii_lowercase();
                a == "s3:putobject" || a == "s3:putobjectacl"
            });
        !org_scoped
            && !write_only
            && aws_principals(s).iter().any(|p| *p != "*" && principal_account(p).is_some_and(|a| is_foreign(input, a)))
    });
    found
}

/// Event selectors that stop recording management events, or record only one of read / write.
fn selectors_reduce_coverage(req: Option<&Value>) -> bool {
    let Some(req) = req else { return true };
    if let Some(Value::Array(selectors)) = get_key(req, "eventSelectors") {
        return selectors.is_empty()
            || selectors.iter().all(|s| {
                let mgmt = get_key(s, "includeManagementEvents").and_then(Value::as_bool).unwrap_or(true);
                let rw = get_str(s, "readWriteType").unwrap_or("All");
                !mgmt || !rw.eq_ignore_ascii_case("All")
            });
    }
    if let Some(Value::Array(adv)) = get_key(req, "advancedEventSelectors") {
        // Management events are recorded only by a selector with eventCategory = Management.
        let records_management = adv.iter().any(|sel| {
            let mut found = false;
            any_string(sel, None, &mut |_, s| {
                found |= s == "Management";
                found
            });
            found
        });
        return !records_management;
    }
    true
}

/// The target user of an IAM call is someone other than the caller. Role sessions and root
/// acting on a user always count: the user is not them.
fn targets_other_user(input: &RuleInput) -> bool {
    let Some(target) = input.req_str("userName") else { return false };
    let e = input.event;
    match e.identity_type.as_deref() {
        Some("IAMUser") => e.user_name.as_deref() != Some(target),
        _ => true,
    }
}

/// The values added by a snapshot / image attribute change: `group: all` or account ids.
fn added_permissions(input: &RuleInput) -> Vec<String> {
    let Some(req) = input.request() else { return Vec::new() };
    let mut out = Vec::new();
    // EC2: createVolumePermission / launchPermission { add: { items: [ {group|userId} ] } }
    for attr in ["createVolumePermission", "launchPermission"] {
        if let Some(add) = get_key(req, attr).and_then(|p| get_key(p, "add")) {
            any_string(add, None, &mut |k, s| {
                if matches!(k, Some("group" | "userId" | "Group" | "UserId")) {
                    out.push(s.to_string());
                }
                false
            });
        }
    }
    // RDS: attributeName = restore, valuesToAdd = ["all" | account ids]
    if input.event.event_source == "rds.amazonaws.com" {
        let restore = get_str(req, "attributeName").is_none_or(|a| a.eq_ignore_ascii_case("restore"));
        if let (true, Some(Value::Array(values))) = (restore, get_key(req, "valuesToAdd")) {
            out.extend(values.iter().filter_map(|v| v.as_str().map(str::to_string)));
        }
    }
    out
}

fn shared_publicly(input: &RuleInput) -> bool {
    added_permissions(input).iter().any(|v| v.eq_ignore_ascii_case("all"))
}

fn shared_with_unknown_account(input: &RuleInput) -> bool {
    let added = added_permissions(input);
    !added.iter().any(|v| v.eq_ignore_ascii_case("all"))
        && added.iter().any(|v| !v.eq_ignore_ascii_case("all") && !input.env.known_accounts.contains(v))
}

fn bucket_exposed(input: &RuleInput) -> bool {
    let name = input.event.event_name.as_str();
    match name {
        "DeleteBucketPublicAccessBlock" | "DeleteAccountPublicAccessBlock" | "DeletePublicAccessBlock" => true,
        "PutBucketPublicAccessBlock" | "PutAccountPublicAccessBlock" | "PutPublicAccessBlock" => {
            let mut weakened = false;
            if let Some(req) = input.request() {
                fn walk(v: &Value, weakened: &mut bool) {
                    match v {
                        Value::Object(map) => {
                            for (k, item) in map {
                                let is_flag = matches!(
                                    k.as_str(),
                                    "BlockPublicAcls"
                                        | "IgnorePublicAcls"
                                        | "BlockPublicPolicy"
                                        | "RestrictPublicBuckets"
                                );
                                if is_flag && (item == &Value::Bool(false) || item.as_str() == Some("false")) {
                                    *weakened = true;
                                }
                                walk(item, weakened);
                            }
                        }
                        Value::Array(items) => items.iter().for_each(|i| walk(i, weakened)),
                        _ => {}
                    }
                }
                walk(req, &mut weakened);
            }
            weakened
        }
        "PutBucketAcl" => input.request().is_some_and(|req| {
            any_string(req, None, &mut |k, s| {
                s.contains("acs.amazonaws.com/groups/global/AllUsers")
                    || s.contains("acs.amazonaws.com/groups/global/AuthenticatedUsers")
                    || (k.is_some_and(|k| k.eq_ignore_ascii_case("x-amz-acl"))
                        && matches!(s, "public-read" | "public-read-write" | "authenticated-read"))
            })
        }),
        "PutBucketPolicy" => {
            // A wildcard principal without a condition (conditions such as aws:SourceVpce or
            // aws:PrincipalOrgID restrict it).
            request_policy(input, &["bucketPolicy", "policy"])
                .is_some_and(|doc| allows(&doc).any(|s| s.conditions.is_empty() && aws_principals(s).contains(&"*")))
        }
        _ => false,
    }
}

fn open_to_world(input: &RuleInput) -> bool {
    input.request().is_some_and(|req| any_string(req, None, &mut |_, s| is_world_cidr(s)))
}

/// An ingress permission (EC2's `ipPermissions` item or a `SecurityGroupRule`) that opens SSH,
/// RDP or all ports / all protocols to a world CIDR: the port and the range must be in the same
/// permission (443 to the world beside 22 to the office is not an open SSH port).
fn admin_ports(input: &RuleInput) -> bool {
    fn admin(map: &Map<String, Value>) -> bool {
        let get = |a: &str, b: &str| map.get(a).or_else(|| map.get(b));
        let proto = get("ipProtocol", "IpProtocol").map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_string));
        if proto.as_deref() == Some("-1") {
            return true;
        }
        let port = |a: &str, b: &str| get(a, b).and_then(|p| p.as_i64().or_else(|| p.as_str()?.parse().ok()));
        match (port("fromPort", "FromPort"), port("toPort", "ToPort")) {
            (Some(f), Some(t)) => [22, 3389].iter().any(|p| (f..=t).contains(p)) || (f <= 0 && t >= 65535),
            _ => false,
        }
    }
    fn walk(v: &Value) -> bool {
        match v {
            Value::Object(map) => {
                let is_permission = map.contains_key("ipProtocol") || map.contains_key("IpProtocol");
                if is_permission && admin(map) && any_string(v, None, &mut |_, s| is_world_cidr(s)) {
                    return true;
                }
                map.values().any(walk)
            }
            Value::Array(items) => items.iter().any(walk),
            _ => false,
        }
    }
    input.request().is_some_and(walk)
}

/// The caller's own request, not an AWS service acting for it (CloudFormation, Auto Scaling).
fn own_request(input: &RuleInput) -> bool {
    input.event.invoked_by.is_none() && !input.event.source_is_aws_service()
}

fn list_len(v: Option<&Value>) -> usize {
    match v {
        Some(Value::Array(items)) => items.len(),
        Some(Value::String(s)) if !s.is_empty() => 1,
        _ => 0,
    }
}

/// Secrets chosen by filter (the caller gets every secret matching, without naming any) or
/// many named secrets in one call.
fn batch_secrets_in_bulk(input: &RuleInput) -> bool {
    let Some(req) = input.request() else { return false };
    let named = list_len(get_key(req, "secretIdList"));
    (named == 0 && get_key(req, "filters").is_some()) || named >= 10
}

fn truthy(v: Option<&Value>) -> bool {
    v.is_some_and(|v| v.as_bool() == Some(true) || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true")))
}

fn ssm_decrypt_bulk(input: &RuleInput) -> bool {
    let Some(req) = input.request() else { return false };
    if !truthy(get_key(req, "withDecryption")) {
        return false;
    }
    match input.event.event_name.as_str() {
        "GetParametersByPath" => get_str(req, "path").is_some_and(|p| p.trim_end_matches('/').is_empty()),
        _ => list_len(get_key(req, "names")) >= 10,
    }
}

/// Any `instanceType` in the request, however deep (spot launch specifications, fleet
/// overrides) and however wrapped (`"instanceType": {"value": "p2.xlarge"}`).
fn launches_unusual_type(input: &RuleInput) -> bool {
    fn walk(v: &Value) -> bool {
        match v {
            Value::Object(map) => map.iter().any(|(k, item)| {
                if k.eq_ignore_ascii_case("instanceType") {
                    any_string(item, None, &mut |_, s| is_unusual_instance_type(s))
                } else {
                    walk(item)
                }
            }),
            Value::Array(items) => items.iter().any(walk),
            _ => false,
        }
    }
    input.request().is_some_and(walk)
}

/// An account id in a principal string (`123456789012`, `arn:aws:iam::123456789012:root`); None
/// for service principals.
fn principal_account(p: &str) -> Option<&str> {
    let acct = if p.starts_with("arn:") { arn_account(p)? } else { p };
    (acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit())).then_some(acct)
}

fn is_foreign(input: &RuleInput, acct: &str) -> bool {
    Some(acct) != input.event.target_account() && !input.env.known_accounts.contains(acct)
}

fn lambda_opened(input: &RuleInput) -> bool {
    let Some(req) = input.request() else { return false };
    match input.event.base_name() {
        "AddPermission" => get_str(req, "principal").is_some_and(|p| {
            // A service principal scoped to a source account or ARN is the normal S3 / SNS /
            // EventBridge trigger.
            p.trim() == "*" || principal_account(p).is_some_and(|a| is_foreign(input, a))
        }),
        _ => get_str(req, "authType").is_some_and(|a| a.eq_ignore_ascii_case("NONE")),
    }
}

fn foreign_layer(input: &RuleInput) -> bool {
    let Some(layers) = input.request().and_then(|r| get_key(r, "layers")) else { return false };
    let mut foreign = false;
    any_string(layers, None, &mut |_, s| {
        foreign |= arn_account(s).is_some_and(|a| is_foreign(input, a));
        foreign
    });
    foreign
}

/// A CIDR that lets in a large part of the internet: any public range of /8 or wider in IPv4
/// (`0.0.0.0/0`, but also `0.0.0.0/1`, `128.0.0.0/1`, ...) or /16 or wider in IPv6 (`::/0`,
/// `2000::/3`). Private ranges such as `10.0.0.0/8` are not the world.
pub fn is_world_cidr(text: &str) -> bool {
    let Ok(net) = text.trim().parse::<ipnet::IpNet>() else { return false };
    let wide = match net {
        ipnet::IpNet::V4(n) => n.prefix_len() <= 8,
        ipnet::IpNet::V6(n) => n.prefix_len() <= 16,
    };
    const PRIVATE: &[&str] =
        &["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "100.64.0.0/10", "fc00::/7", "fe80::/10"];
    wide && !PRIVATE.iter().filter_map(|p| p.parse::<ipnet::IpNet>().ok()).any(|p| p.contains(&net))
}

/// GPU / accelerator / FPGA / memory-monster families, bare metal, and sizes of 16xlarge and up.
pub fn is_unusual_instance_type(t: &str) -> bool {
    const FAMILIES: &[&str] = &[
        "p2", "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6", "g2", "g3", "g3s", "g4dn", "g4ad", "g5", "g5g",
        "g6", "g6e", "gr6", "inf1", "inf2", "trn1", "trn1n", "trn2", "dl1", "dl2q", "f1", "f2", "vt1", "x1", "x1e",
        "x2idn", "x2iedn", "x2iezn", "hpc6a", "hpc7g", "hpc7a",
    ];
    let t = t.trim().to_ascii_lowercase();
    let Some((family, size)) = t.split_once('.') else { return false };
    if FAMILIES.contains(&family) || family.starts_with("u-") || family.starts_with("u7") || size.contains("metal") {
        return true;
    }
    size.strip_suffix("xlarge").and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| n >= 16)
}

// ---------------------------------------------------------------------------------------------
// Engine

/// Index of the rules by event name (rules with no names are checked on every event).
struct Dispatch {
    by_name: FastMap<&'static str, Vec<usize>>,
    any_name: Vec<usize>,
}

impl Dispatch {
    fn new(rules: &'static [Rule]) -> Self {
        let mut by_name: FastMap<&'static str, Vec<usize>> = FastMap::default();
        let mut any_name = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let mut names_any = false;
            for call in &rule.calls {
                if call.names.is_empty() {
                    names_any = true;
                }
                for n in &call.names {
                    let list = by_name.entry(n.as_str()).or_default();
                    if !list.contains(&i) {
                        list.push(i);
                    }
                }
            }
            if names_any {
                any_name.push(i);
            }
        }
        Dispatch { by_name, any_name }
    }
}

/// Whether some rule looks at this call (its source, name and identity type; predicates not
/// judged): the events a rule can match are among these.
pub fn could_match(e: &Event) -> bool {
    rules().iter().any(|rule| call_matches(rule, e))
}

fn call_matches(rule: &Rule, e: &Event) -> bool {
    if !(rule.identity_types.is_empty()
        || e.identity_type.as_deref().is_some_and(|t| rule.identity_types.iter().any(|i| i == t)))
    {
        return false;
    }
    let base = e.base_name();
    rule.calls.iter().any(|c| {
        c.source.as_ref().is_none_or(|s| *s == e.event_source)
            && (c.names.is_empty() || c.names.iter().any(|n| n == base))
    })
}

/// Runs every rule over the events and groups matches into findings.
pub fn run(prep: &Prepared) -> Vec<Finding> {
    let events = prep.events;
    let rules = rules();
    let dispatch = Dispatch::new(rules);
    // Candidate rules per interned event name, resolved once per distinct name.
    let by_name_id: Vec<Vec<usize>> = prep
        .names
        .values
        .iter()
        .map(|name| {
            let mut list = dispatch.by_name.get(name).cloned().unwrap_or_default();
            list.extend_from_slice(&dispatch.any_name);
            list
        })
        .collect();
    // (rule, principal) -> matching event indices (in time order) and which of them escalate.
    let mut matches: BTreeMap<(usize, u32), Vec<(usize, bool)>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let candidates = &by_name_id[prep.feat[i].name as usize];
        if candidates.is_empty() {
            continue;
        }
        let input = RuleInput::new(e, &prep.rule_env);
        for &r in candidates {
            let rule = &rules[r];
            if !call_matches(rule, e) {
                continue;
            }
            if rule.on_error == OnError::Exclude && e.is_error() {
                continue;
            }
            if rule.when.as_ref().is_some_and(|c| !c.eval(&input)) {
                continue;
            }
            let escalate = rule.escalate.as_ref().is_some_and(|c| c.eval(&input));
            matches.entry((r, prep.principal_of[i])).or_default().push((i, escalate));
        }
    }

    let mut findings = Vec::new();
    for ((r, pid), hits) in matches {
        let rule = &rules[r];
        if rule.routine_if_in_baseline && prep.baseline_trusted() && hits.iter().any(|&(i, _)| i < prep.split) {
            continue;
        }
        let mut group: Vec<(usize, bool)> = Vec::new();
        for hit in hits {
            if let Some(&(last, _)) = group.last() {
                if !rule.one_per_principal && events[hit.0].time_ms - events[last].time_ms > prep.opts.group_gap_ms {
                    findings.extend(build(prep, rule, pid, &group));
                    group.clear();
                }
            }
            group.push(hit);
        }
        findings.extend(build(prep, rule, pid, &group));
    }
    findings
}

fn build(prep: &Prepared, rule: &Rule, pid: u32, group: &[(usize, bool)]) -> Option<Finding> {
    let events = prep.events;
    let idx: Vec<usize> = group.iter().map(|&(i, _)| i).collect();
    idx.first()?;
    let mut severity = rule.info.severity;
    let all_failed = idx.iter().all(|&i| events[i].is_error());
    if all_failed {
        severity = severity.lower();
    }
    if group.iter().any(|&(_, esc)| esc) {
        severity = severity.higher();
    }
    let mut targets: BTreeSet<String> = BTreeSet::new();
    if !rule.target_keys.is_empty() {
        for &i in &idx {
            if let Some(req) = events[i].request() {
                for key in &rule.target_keys {
                    match get_key(&req, key) {
                        Some(Value::String(s)) => {
                            targets.insert(s.clone());
                        }
                        Some(v @ (Value::Array(_) | Value::Object(_))) => {
                            any_string(v, None, &mut |_, s| {
                                targets.insert(s.to_string());
                                false
                            });
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    let mut evidence: Map<String, Value> = common_evidence(events, &idx);
    if !targets.is_empty() {
        evidence.insert("targets".into(), json_set(targets.iter().cloned()));
    }
    let failed = idx.iter().filter(|&&i| events[i].is_error()).count();
    if failed > 0 {
        evidence.insert("failed_attempts".into(), Value::from(failed));
    }
    let principal = prep.principal(pid).map(str::to_string);
    let actor_set: BTreeSet<String> = idx.iter().filter_map(|&i| events[i].actor()).collect();
    let actor = (!actor_set.is_empty()).then(|| actor_set.into_iter().collect::<Vec<_>>().join(","));
    let names: BTreeSet<&str> = idx.iter().map(|&i| events[i].event_name.as_str()).collect();
    let summary = rule
        .summary
        .replace("{actor}", actor.as_deref().or(principal.as_deref()).unwrap_or("unknown principal"))
        .replace("{principal}", principal.as_deref().unwrap_or("unknown principal"))
        .replace("{count}", &idx.len().to_string())
        .replace("{events}", &names.into_iter().collect::<Vec<_>>().join(", "))
        .replace(
            "{targets}",
            &if targets.is_empty() {
                "(unnamed)".to_string()
            } else {
                targets.into_iter().collect::<Vec<_>>().join(", ")
            },
        );
    FindingDraft { info: &rule.info, severity, principal, actor, summary, evidence }.build(events, &idx)
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
