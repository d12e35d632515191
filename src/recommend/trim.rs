//! Used ∩ granted: which observed calls the current policies allow and through which statements,
//! and the proposal built from them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::compact::{self, canonical, Draft, Grant, Parts, ResourceSpec};
use super::resources::{covered_by_any, generalise, Generalise};
use super::verify::{self, Mode, Replay};
use super::{
    Confidence, DiffLine, Evidence, IncidentUse, ObservedCall, PrincipalInput, RecommendOptions, Recommendation,
    SparseWildcard, Verification,
};
use crate::catalog::catalog;
use crate::policy::{
    evaluate_observed, Access, AccessIndex, Context, Decision, Effect, PolicyKind, PolicySet, PrincipalInfo, Request,
    Statement, Truth,
};

const DAY_MS: i64 = 86_400_000;
/// Sample event ids kept per action in the evidence.
const SAMPLES: usize = 5;

/// An identity statement of the original policies.
pub(crate) struct IdStatement<'a> {
    /// `policy#sid` or `policy#index`.
    pub label: String,
    pub policy: String,
    pub index: usize,
    pub st: &'a Statement,
}

/// Every statement of the identity policies, in set order.
pub(crate) fn identity_statements(set: &PolicySet) -> Vec<IdStatement<'_>> {
    let mut out = Vec::new();
    for np in &set.identity {
        for (i, st) in np.policy.statements.iter().enumerate() {
            let label = match &st.sid {
                Some(s) if !s.is_empty() => format!("{}#{}", np.name, s),
                _ => format!("{}#{}", np.name, i),
            };
            out.push(IdStatement { label, policy: np.name.clone(), index: i, st });
        }
    }
    out
}

pub(crate) fn principal_info(input: &PrincipalInput) -> PrincipalInfo {
    PrincipalInfo { arn: input.arn.clone(), account: Some(input.account.clone()) }
}

/// The policy set without a resource policy (set per call from `resource_policies`).
pub(crate) fn base_set(input: &PrincipalInput) -> PolicySet {
    let mut set = input.policies.clone();
    set.resource_policy = None;
    set
}

pub(crate) fn call_context(call: &ObservedCall) -> Context {
    let mut grouped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in &call.context {
        grouped.entry(k.to_ascii_lowercase()).or_default().push(v.clone());
    }
    let mut ctx = Context::new();
    for (k, mut v) in grouped {
        if v.len() == 1 {
            ctx.insert(&k, v.remove(0));
        } else {
            ctx.insert_multi(&k, v);
        }
    }
    if let Some(svc) = &call.passed_to_service {
        if ctx.get("iam:PassedToService").is_none() {
            ctx.insert("iam:PassedToService", svc.clone());
        }
    }
    ctx
}

/// The request a call stands for (`*` when the event named no resource).
pub(crate) fn request_for(input: &PrincipalInput, call: &ObservedCall, action: &str) -> Request {
    let resource = call.resource.clone().unwrap_or_else(|| "*".to_string());
    let resource_account = crate::arn::account_of(&resource).map(str::to_string);
    Request {
        principal: input.arn.clone(),
        principal_account: Some(input.account.clone()),
        action: action.to_string(),
        resource,
        resource_account,
        context: call_context(call),
    }
}

/// Sets the resource policy for a request, cloning only when it changes from the previous call.
pub(crate) struct ResourcePolicySlot {
    key: Option<String>,
}

impl ResourcePolicySlot {
    pub(crate) fn new() -> Self {
        ResourcePolicySlot { key: None }
    }

    pub(crate) fn apply(&mut self, set: &mut PolicySet, input: &PrincipalInput, resource: &str) {
        let found = input.resource_policy_for(resource);
        let key = found.map(|(k, _)| k.to_string());
        if key != self.key {
            set.resource_policy = found.map(|(_, p)| p.clone());
            self.key = key;
        }
    }
}

/// Identity Allow statements that apply (or may apply, see [`super::unknown_key`]) to the action
/// under the call's context, resource ignored (for calls whose resource is unknown); with
/// whether each was assumed.
fn allows_ignoring_resource(set: &PolicySet, req: &Request) -> Vec<((String, usize), bool)> {
    let mut ctx = req.context.clone();
    if ctx.get("aws:PrincipalArn").is_none() {
        ctx.insert("aws:PrincipalArn", req.principal.clone());
    }
    if let Some(a) = &req.principal_account {
        if ctx.get("aws:PrincipalAccount").is_none() {
            ctx.insert("aws:PrincipalAccount", a.clone());
        }
    }
    let mut out = Vec::new();
    for np in &set.identity {
        for (i, st) in np.policy.statements.iter().enumerate() {
            if st.effect != Effect::Allow || !st.matches_action(&req.action) {
                continue;
            }
            match st.conditions_truth(&ctx, &super::unknown_key) {
                Truth::True => out.push(((np.name.clone(), i), false)),
                Truth::Unknown => out.push(((np.name.clone(), i), true)),
                Truth::False => {}
            }
        }
    }
    out
}

/// A call the original allows, with its allowing identity statements.
pub(crate) struct Included<'a> {
    pub call: &'a ObservedCall,
    pub action: String,
    pub mode: Mode,
    /// (policy name, statement index) of allowing identity statements.
    pub allowing: Vec<(String, usize)>,
    /// Those of `allowing` that allow only if conditions on keys CloudTrail does not carry held.
    pub assumed: Vec<(String, usize)>,
}

pub(crate) struct Classified<'a> {
    pub included: Vec<Included<'a>>,
    /// Action -> events, for calls the current policies no longer allow.
    pub not_granted: BTreeMap<String, u64>,
    /// Actions not in the catalog (never proposed).
    pub unknown: BTreeSet<String>,
}

/// Observed calls in a deterministic order, grouped by resource (fewer policy clones).
fn ordered(input: &PrincipalInput) -> Vec<&ObservedCall> {
    let mut calls: Vec<&ObservedCall> = input.observed.iter().collect();
    calls.sort_by(|a, b| {
        (&a.resource, &a.action, &a.passed_to_service, &a.context, a.first_seen_ms).cmp(&(
            &b.resource,
            &b.action,
            &b.passed_to_service,
            &b.context,
            b.first_seen_ms,
        ))
    });
    calls
}

/// The statements of `policies` (the principal's policies at some instant, e.g. of the call)
/// that allowed an observed call, as `policy#index`; `None` when they did not allow it. The
/// same evaluation as [`classify`]: a call without a resource counts if some statement allows
/// the action on any resource.
pub(crate) fn allowed_by(input: &PrincipalInput, policies: &PolicySet, call: &ObservedCall) -> Option<Vec<String>> {
    let action = catalog().canonical(&call.action)?;
    let req = request_for(input, call, &action);
    let mut set = policies.clone();
    ResourcePolicySlot::new().apply(&mut set, input, &req.resource);
    let ev = evaluate_observed(&set, &req, &super::unknown_key);
    let refs: Vec<(String, usize)> = if ev.decision == Decision::Allow {
        ev.statements.iter().filter(|r| r.kind == PolicyKind::Identity).map(|r| (r.policy.clone(), r.index)).collect()
    } else if call.resource.is_none() && ev.decision == Decision::ImplicitDeny {
        allows_ignoring_resource(&set, &req).into_iter().map(|(r, _)| r).collect()
    } else {
        return None;
    };
    // An Allow through a resource policy alone names no identity statement.
    (ev.decision == Decision::Allow || !refs.is_empty())
        .then(|| refs.into_iter().map(|(p, i)| format!("{p}#{i}")).collect())
}

/// Evaluate every observed call against the original policies.
pub(crate) fn classify<'a>(input: &'a PrincipalInput, set: &mut PolicySet, index: &AccessIndex) -> Classified<'a> {
    let cat = catalog();
    let mut out = Classified { included: Vec::new(), not_granted: BTreeMap::new(), unknown: BTreeSet::new() };
    let mut slot = ResourcePolicySlot::new();
    for call in ordered(input) {
        let Some(action) = cat.canonical(&call.action) else {
            out.unknown.insert(call.action.clone());
            continue;
        };
        let req = request_for(input, call, &action);
        slot.apply(set, input, &req.resource);
        // The call succeeded: conditions on keys CloudTrail does not carry may have held.
        let ev = evaluate_observed(set, &req, &super::unknown_key);
        if ev.decision == Decision::Allow {
            let refs = |v: &[crate::policy::StatementRef]| {
                v.iter().filter(|r| r.kind == PolicyKind::Identity).map(|r| (r.policy.clone(), r.index)).collect()
            };
            let (allowing, assumed) = (refs(&ev.statements), refs(&ev.assumed));
            out.included.push(Included { call, action, mode: Mode::Exact, allowing, assumed });
            continue;
        }
        if call.resource.is_none() && ev.decision == Decision::ImplicitDeny && index.access(&action) != Access::None {
            let found = allows_ignoring_resource(set, &req);
            if !found.is_empty() {
                let assumed = found.iter().filter(|(_, a)| *a).map(|(r, _)| r.clone()).collect();
                let allowing = found.into_iter().map(|(r, _)| r).collect();
                out.included.push(Included { call, action, mode: Mode::AnyResource, allowing, assumed });
                continue;
            }
        }
        *out.not_granted.entry(action).or_default() += call.count;
    }
    out
}

/// Catalog actions the set grants at least partially, and those it grants fully.
fn granted_actions(set: &PolicySet, index: &AccessIndex, root: bool) -> BTreeSet<String> {
    let cat = catalog();
    let mut services: Option<BTreeSet<String>> = Some(BTreeSet::new());
    for np in &set.identity {
        for st in &np.policy.statements {
            if st.effect != Effect::Allow {
                continue;
            }
            if st.action.negated || st.action.patterns.iter().any(|p| p.service.is_none()) {
                services = None;
            } else if let Some(s) = services.as_mut() {
                s.extend(st.action.patterns.iter().filter_map(|p| p.service.clone()));
            }
        }
    }
    if root {
        services = None;
    }
    // Collected in catalog order and bulk-built: much cheaper than 20 000 single inserts for an
    // administrator.
    let mut out: Vec<String> = Vec::new();
    let mut check = |a: &crate::catalog::ActionInfo| {
        let full = a.full_name();
        if index.access(&full) != Access::None {
            out.push(full);
        }
    };
    match services {
        None => cat.actions().for_each(&mut check),
        Some(s) => s.iter().flat_map(|p| cat.service_actions(p)).for_each(&mut check),
    }
    out.into_iter().collect()
}

fn rfc3339(ms: i64) -> String {
    crate::time::iso(ms)
}

/// The Condition block of a statement, canonical, or None.
fn condition_of(st: &Statement) -> Option<Value> {
    st.to_json().get("Condition").cloned().map(canonical)
}

/// Add `StringEquals: {iam:PassedToService: [...]}` unless the block already constrains it.
fn with_passed_to_service(cond: Option<Value>, services: &BTreeSet<String>) -> Option<Value> {
    let mentions = cond.as_ref().is_some_and(|c| {
        c.as_object().is_some_and(|ops| {
            ops.values().any(|keys| {
                keys.as_object().is_some_and(|k| k.keys().any(|key| key.eq_ignore_ascii_case("iam:PassedToService")))
            })
        })
    });
    if mentions || services.is_empty() {
        return cond;
    }
    let mut ops = match cond {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let list: Vec<&String> = services.iter().collect();
    let val = if list.len() == 1 { json!(list[0]) } else { json!(list) };
    let entry = ops.entry("StringEquals".to_string()).or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(k) = entry {
        k.insert("iam:PassedToService".into(), val);
    }
    Some(canonical(Value::Object(ops)))
}

fn resource_spec_of(st: &Statement) -> ResourceSpec {
    match &st.resource {
        None => ResourceSpec::Resource(vec!["*".into()]),
        Some(r) => {
            let p: Vec<String> = st.resources().iter().map(|s| s.to_string()).collect();
            if r.negated {
                ResourceSpec::NotResource(p)
            } else {
                ResourceSpec::Resource(p)
            }
        }
    }
}

#[derive(Default)]
struct GroupAcc {
    resources: BTreeSet<String>,
    any_resource: bool,
    passed: BTreeSet<String>,
    passed_unknown: bool,
    /// Some call was allowed by the statement only if its conditions on keys CloudTrail does not
    /// carry held.
    assumed: bool,
}

/// Rank allowing statements: Keep-marked first, then ones proven to allow (not only under
/// unknown conditions), then conditional ones (narrower), then ones with specific resources,
/// then set order.
fn choose(ids: &[usize], assumed: &BTreeSet<usize>, stmts: &[IdStatement], keep: &dyn Fn(&Statement) -> bool) -> usize {
    let rank = |&i: &usize| {
        let st = stmts[i].st;
        let star = st.resources().contains(&"*") || st.resource.is_none();
        (!keep(st), assumed.contains(&i), st.conditions.is_empty(), star, i)
    };
    *ids.iter().min_by_key(|i| rank(i)).unwrap_or(&ids[0])
}

/// Provenance and grouping of the included calls: which statements allowed each action, and the
/// (action, chosen statement) groups the proposal is built from.
#[derive(Default)]
struct Grouped {
    /// Indexes (into the statement list) of identity statements that allowed some observed call.
    matched: BTreeSet<usize>,
    per_action_stmts: BTreeMap<String, BTreeSet<usize>>,
    groups: BTreeMap<(String, usize), GroupAcc>,
    /// Actions allowed by resource policies alone (not added to the identity policy).
    resource_policy_only: BTreeSet<String>,
    /// Action -> "statement: keys" of the conditions CloudTrail could not show for it.
    unknown_conditions: BTreeMap<String, BTreeSet<String>>,
}

/// Group every included call under the allowing statement [`choose`] picks. Calls whose chosen
/// statement is keep-marked form no group: that statement is carried over as written.
fn group(included: &[Included], stmts: &[IdStatement], keep: &dyn Fn(&Statement) -> bool) -> Grouped {
    let by_ref: BTreeMap<(&str, usize), usize> =
        stmts.iter().enumerate().rev().map(|(i, s)| ((s.policy.as_str(), s.index), i)).collect();
    let mut out = Grouped::default();
    for inc in included {
        let to_ids = |refs: &[(String, usize)]| -> Vec<usize> {
            refs.iter().filter_map(|(p, i)| by_ref.get(&(p.as_str(), *i)).copied()).collect()
        };
        let ids = to_ids(&inc.allowing);
        let assumed: BTreeSet<usize> = to_ids(&inc.assumed).into_iter().collect();
        if ids.is_empty() {
            out.resource_policy_only.insert(inc.action.clone());
            continue;
        }
        out.matched.extend(&ids);
        out.per_action_stmts.entry(inc.action.clone()).or_default().extend(&ids);
        let chosen = choose(&ids, &assumed, stmts, keep);
        if keep(stmts[chosen].st) {
            continue;
        }
        let g = out.groups.entry((inc.action.clone(), chosen)).or_default();
        if assumed.contains(&chosen) {
            g.assumed = true;
            let ctx = call_context(inc.call);
            let keys = stmts[chosen].st.unknown_condition_keys(&ctx, &super::unknown_key);
            out.unknown_conditions.entry(inc.action.clone()).or_default().insert(format!(
                "{}: {}",
                stmts[chosen].label,
                keys.join(", ")
            ));
        }
        match (&inc.mode, &inc.call.resource) {
            (Mode::Exact, Some(r)) => {
                g.resources.insert(r.clone());
            }
            (Mode::Exact, None) => {
                g.resources.insert("*".into());
            }
            (Mode::AnyResource, _) => g.any_resource = true,
        }
        match &inc.call.passed_to_service {
            Some(s) => {
                g.passed.insert(s.clone());
            }
            None => g.passed_unknown = true,
        }
    }
    out
}

/// One grant per group: the observed resources generalised within the chosen statement's, or
/// the statement's own resources where the calls cannot narrow them. Also returns the actions
/// some of whose calls named no resource (kept with the statement's resources).
fn grants_of(
    groups: &BTreeMap<(String, usize), GroupAcc>,
    stmts: &[IdStatement],
    opts: &RecommendOptions,
) -> (Vec<Grant>, BTreeSet<String>) {
    let cat = catalog();
    let gen = Generalise { list_limit: opts.list_limit, max_depth: opts.max_prefix_wildcard_depth };
    let mut grants: Vec<Grant> = Vec::new();
    let mut unscoped: BTreeSet<String> = BTreeSet::new();
    for ((action, sid), g) in groups {
        let st = stmts[*sid].st;
        let mut condition = condition_of(st);
        let with_variables = st.resources().iter().any(|r| r.contains("${"));
        let resources = if g.any_resource {
            unscoped.insert(action.clone());
            resource_spec_of(st)
        } else if g.assumed {
            // The calls prove only that the statement may allow: its conditions (resource tags,
            // ...) decide which resources, and new resources that satisfy them must keep working.
            resource_spec_of(st)
        } else if with_variables {
            // `${aws:username}`-style patterns are already per-principal; observed ARNs could
            // not be shown to be covered without the request context.
            resource_spec_of(st)
        } else {
            match resource_spec_of(st) {
                ResourceSpec::NotResource(p) => {
                    if g.resources.iter().any(|r| r.contains(['*', '?'])) {
                        ResourceSpec::NotResource(p)
                    } else {
                        ResourceSpec::Resource(g.resources.iter().cloned().collect())
                    }
                }
                ResourceSpec::Resource(originals) => {
                    let no_types = cat.action(action).is_some_and(|a| a.resource_types.is_empty());
                    if no_types && covered_by_any(&originals, "*") {
                        ResourceSpec::Resource(vec!["*".into()])
                    } else {
                        ResourceSpec::Resource(generalise(&g.resources, &originals, gen))
                    }
                }
            }
        };
        if action == "iam:PassRole" && !g.passed_unknown {
            condition = with_passed_to_service(condition, &g.passed);
        }
        grants.push(Grant { action: action.clone(), resources, condition });
    }
    (grants, unscoped)
}

/// With unobservable actions kept: one grant per action and allowing (not keep-marked)
/// statement, with that statement's resources and conditions.
fn unobservable_grants(
    unobservable: &BTreeSet<String>,
    stmts: &[IdStatement],
    keep: &dyn Fn(&Statement) -> bool,
) -> Vec<Grant> {
    let mut grants = Vec::new();
    for a in unobservable {
        for s in stmts.iter().filter(|s| s.st.effect == Effect::Allow && !keep(s.st) && s.st.matches_action(a)) {
            grants.push(Grant { action: a.clone(), resources: resource_spec_of(s.st), condition: condition_of(s.st) });
        }
    }
    grants
}

/// Statements carried over verbatim.
struct Carried {
    /// Keep-marked statements, canonical, first occurrence only.
    keep: Vec<Value>,
    /// Labels of the keep-marked statements.
    labels: Vec<String>,
    /// Identity denies that still apply to an action the grants or a keep-marked Allow names.
    denies: Vec<Value>,
}

fn carried(stmts: &[IdStatement], keep: &dyn Fn(&Statement) -> bool, grants: &[Grant]) -> Carried {
    let cat = catalog();
    let mut keep_json: Vec<Value> = Vec::new();
    let mut universe: BTreeSet<String> = grants.iter().map(|g| g.action.clone()).collect();
    let mut keep_negated = false;
    for s in stmts.iter().filter(|s| keep(s.st)) {
        let j = canonical(s.st.to_json());
        if !keep_json.contains(&j) {
            keep_json.push(j);
        }
        if s.st.effect == Effect::Allow {
            keep_negated |= s.st.action.negated;
            for p in s.st.actions() {
                universe.extend(cat.expand(p).iter().map(|a| a.full_name()));
            }
        }
    }
    let labels: Vec<String> = stmts.iter().filter(|s| keep(s.st)).map(|s| s.label.clone()).collect();
    let mut deny_json: Vec<Value> = Vec::new();
    for s in stmts.iter().filter(|s| s.st.effect == Effect::Deny && !keep(s.st)) {
        if keep_negated || s.st.action.negated || universe.iter().any(|a| s.st.matches_action(a)) {
            let j = canonical(s.st.to_json());
            if !deny_json.contains(&j) {
                deny_json.push(j);
            }
        }
    }
    Carried { keep: keep_json, labels, denies: deny_json }
}

/// Replay every included call against the documents (plus the fitting errors as failures), and
/// count the granted actions the proposal no longer grants at all.
fn verify_proposal(
    input: &PrincipalInput,
    original: &PolicySet,
    granted: &BTreeSet<String>,
    included: &[Included],
    documents: &[Value],
    fit_errors: &[String],
) -> (Verification, usize) {
    let replays: Vec<Replay> =
        included.iter().map(|i| Replay { call: i.call, action: i.action.clone(), mode: i.mode }).collect();
    let mut verification = verify::check(input, original, &replays, documents);
    verification.failures.extend(fit_errors.iter().cloned());
    // Only actions a proposal Allow statement names can still be granted.
    let removed = match verify::proposal_set(original, documents) {
        Ok(pset) => {
            let pindex = AccessIndex::new(&pset, &principal_info(input));
            let still = verify::allowed_universe(&pset)
                .iter()
                .filter(|a| granted.contains(*a) && pindex.access(a) != Access::None)
                .count();
            granted.len() - still
        }
        Err(_) => granted.len(),
    };
    (verification, removed)
}

/// File stems and output paths of the documents: none unless verified; one inline document
/// under the principal's name, or numbered customer managed policies when split.
fn name(input: &PrincipalInput, ok: bool, split: bool, documents: usize) -> (Vec<String>, Vec<String>) {
    // Names and the account id come from input: only `output::segment` makes them path segments.
    let stem = crate::output::segment(&input.name);
    let file_stems: Vec<String> = if !ok || documents == 0 {
        Vec::new()
    } else if !split {
        vec![stem.into_owned()]
    } else {
        // Customer managed policies: never under a name that looks like the inline proposal.
        (1..=documents).map(|i| format!("{stem}.managed-{i}")).collect()
    };
    let account_dir = crate::output::segment(&input.account);
    let policy_files =
        file_stems.iter().map(|s| format!("policies/{account_dir}/{}/{s}.json", input.kind.dir())).collect();
    (file_stems, policy_files)
}

/// classify -> group -> grants -> fit -> verify -> name, with the notes of each step.
pub(crate) fn run(input: &PrincipalInput, opts: &RecommendOptions) -> Recommendation {
    let cat = catalog();
    let mut set = base_set(input);
    let pinfo = principal_info(input);
    let original = base_set(input);
    let index = AccessIndex::new(&original, &pinfo);
    let root = input.arn.ends_with(":root");
    let granted = granted_actions(&original, &index, root);
    let stmts = identity_statements(&original);
    let keep = |st: &Statement| {
        !opts.keep_sid_prefix.is_empty() && st.sid.as_deref().is_some_and(|s| s.starts_with(&opts.keep_sid_prefix))
    };
    let classified = classify(input, &mut set, &index);
    let mut notes: Vec<String> = Vec::new();

    let grouped = group(&classified.included, &stmts, &keep);
    if !grouped.resource_policy_only.is_empty() {
        notes.push(format!(
            "allowed by resource policies alone, so not added to the identity policy: {}",
            grouped.resource_policy_only.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }

    let (mut grants, unscoped) = grants_of(&grouped.groups, &stmts, opts);
    if !unscoped.is_empty() {
        notes.push(format!(
            "resources unknown for some calls of {}: kept the original statement's resources for them",
            unscoped.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if !grouped.unknown_conditions.is_empty() {
        notes.push(format!(
            "allowed only under conditions CloudTrail does not record, so kept with the statement's resources and conditions: {}",
            grouped.unknown_conditions.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    }

    // Used, unobservable.
    let used: BTreeSet<String> = classified.included.iter().map(|i| i.action.clone()).collect();
    let unobservable: BTreeSet<String> =
        granted.iter().filter(|a| input.unobservable.contains(*a) && !used.contains(*a)).cloned().collect();
    if opts.keep_unobservable {
        grants.extend(unobservable_grants(&unobservable, &stmts, &keep));
        if !unobservable.is_empty() {
            notes.push(format!(
                "kept {} granted action(s) CloudTrail cannot observe, with their original resources and conditions",
                unobservable.len()
            ));
        }
    } else if !unobservable.is_empty() {
        notes.push(format!(
            "removed {} granted action(s) CloudTrail cannot observe (marked ?); they may be in use: review them, or rerun with unobservable actions kept",
            unobservable.len()
        ));
    }
    grants.sort_by(|a, b| {
        (&a.action, &a.resources, compact::cond_key(&a.condition)).cmp(&(
            &b.action,
            &b.resources,
            compact::cond_key(&b.condition),
        ))
    });
    grants.dedup();

    // Keep-marked statements and the identity denies that still apply.
    let carried = carried(&stmts, &keep, &grants);
    if !carried.labels.is_empty() {
        notes.push(format!(
            "carried over unchanged (Sid starts with \"{}\"): {}",
            opts.keep_sid_prefix,
            carried.labels.join(", ")
        ));
    }

    let denied: BTreeSet<String> = input.denied.iter().filter_map(|d| cat.canonical(&d.action)).collect();
    let denied_only: Vec<String> = denied.iter().filter(|a| !used.contains(*a)).cloned().collect();
    let accept = |a: &str| index.access(a) == Access::Full && !cat.is_high_risk(a) && !denied.contains(a);
    let drafts: Vec<Draft> = compact::group(&grants);
    let nothing = drafts.is_empty() && carried.keep.is_empty();
    let fitted = compact::fit(
        Parts { keep: carried.keep, allows: drafts, denies: carried.denies },
        input.kind,
        opts.target,
        &accept,
    );
    let split = fitted.split;
    notes.extend(fitted.notes.iter().cloned());
    let documents = if nothing {
        notes.push(
            "no allowed call observed in the window: the trimmed policy is empty (remove the current policies rather than writing one)".into(),
        );
        Vec::new()
    } else {
        fitted.documents
    };

    let (verification, removed) =
        verify_proposal(input, &original, &granted, &classified.included, &documents, &fitted.errors);
    let ok = verification.failures.is_empty();

    let dead_statements: Vec<String> = stmts
        .iter()
        .enumerate()
        .filter(|(i, s)| s.st.effect == Effect::Allow && !grouped.matched.contains(i) && !keep(s.st))
        .map(|(_, s)| s.label.clone())
        .collect();
    let sparse_wildcards = sparse(&stmts, &grouped.per_action_stmts);
    let evidence = evidence(&classified.included, &grouped.per_action_stmts, &stmts, &grouped.unknown_conditions);
    let not_granted: Vec<String> = classified.not_granted.keys().cloned().collect();
    let diff = diff_lines(&granted, &used, &unobservable, &not_granted);

    if !classified.unknown.is_empty() {
        notes.push(format!(
            "actions not in the IAM catalog were ignored: {}",
            classified.unknown.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if !denied_only.is_empty() {
        notes.push(format!("refused and never successful in the window, not granted: {}", denied_only.join(", ")));
    }
    let (whole, partly): (Vec<&IncidentUse>, Vec<&IncidentUse>) =
        input.incident_only.iter().partition(|u| u.resources.is_empty());
    if !whole.is_empty() {
        notes.push(format!(
            "not kept, used only in the events of high or critical findings: {}",
            whole.iter().map(|u| u.action.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    if !partly.is_empty() {
        notes.push(format!(
            "calls on some resources of {} were made only in the events of high or critical findings and are not counted as use (see the incidents section)",
            partly.iter().map(|u| u.action.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    if !not_granted.is_empty() {
        notes.push(format!(
            "used in the window but no longer granted (reported, not added): {}",
            not_granted.join(", ")
        ));
    }
    if input.policies.identity.len() > 1 {
        notes.push(format!(
            "the proposal replaces all {} identity policies: {}",
            input.policies.identity.len(),
            input.policies.identity.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }

    let (confidence, confidence_reasons) = confidence(input, opts, unobservable.len(), &classified.included);
    if !ok {
        notes.push("verification failed: the proposal is not written".into());
    }
    let (file_stems, policy_files) = name(input, ok, split, documents.len());
    let policy_sizes = documents.iter().map(compact::policy_size).collect();

    Recommendation {
        arn: input.arn.clone(),
        account: input.account.clone(),
        kind: input.kind,
        name: input.name.clone(),
        policy_files,
        documents,
        file_stems,
        granted_actions: granted.len(),
        used_actions: used.len(),
        removed_actions: removed,
        unobservable_actions: unobservable.len(),
        confidence,
        confidence_reasons,
        verification,
        dead_statements,
        sparse_wildcards,
        used_not_granted: not_granted,
        used_not_granted_history: Vec::new(),
        denied_only,
        incident_only: input.incident_only.clone(),
        evidence,
        diff,
        policy_sizes,
        notes,
        ok,
        trust: None,
        split_by_people: None,
    }
}

/// Wildcard patterns of allow statements exercised for at most a quarter of the (at least four)
/// actions they expand to.
fn sparse(stmts: &[IdStatement], per_action: &BTreeMap<String, BTreeSet<usize>>) -> Vec<SparseWildcard> {
    let cat = catalog();
    let mut out = Vec::new();
    for (i, s) in stmts.iter().enumerate() {
        if s.st.effect != Effect::Allow || s.st.action.negated {
            continue;
        }
        for p in &s.st.action.patterns {
            if !p.raw.contains(['*', '?']) {
                continue;
            }
            let expands_to = cat.expand(&p.raw).len();
            let used: Vec<String> =
                per_action.iter().filter(|(a, ids)| ids.contains(&i) && p.matches(a)).map(|(a, _)| a.clone()).collect();
            if !used.is_empty() && expands_to >= 4 && used.len() * 4 <= expands_to {
                out.push(SparseWildcard { statement: s.label.clone(), pattern: p.raw.clone(), expands_to, used });
            }
        }
    }
    out
}

fn evidence(
    included: &[Included],
    per_action: &BTreeMap<String, BTreeSet<usize>>,
    stmts: &[IdStatement],
    unknown_conditions: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<Evidence> {
    struct Acc {
        count: u64,
        first: i64,
        last: i64,
        samples: BTreeSet<String>,
        resources: BTreeSet<String>,
    }
    let mut by: BTreeMap<&str, Acc> = BTreeMap::new();
    for inc in included {
        let a = by.entry(inc.action.as_str()).or_insert(Acc {
            count: 0,
            first: i64::MAX,
            last: i64::MIN,
            samples: BTreeSet::new(),
            resources: BTreeSet::new(),
        });
        a.count += inc.call.count;
        a.first = a.first.min(inc.call.first_seen_ms);
        a.last = a.last.max(inc.call.last_seen_ms);
        a.samples.extend(inc.call.sample_event_ids.iter().cloned());
        a.resources.insert(inc.call.resource.clone().unwrap_or_else(|| "*".into()));
    }
    by.into_iter()
        .map(|(action, a)| Evidence {
            action: action.to_string(),
            count: a.count,
            first_seen: rfc3339(a.first),
            last_seen: rfc3339(a.last),
            sample_event_ids: a.samples.into_iter().take(SAMPLES).collect(),
            statements: per_action
                .get(action)
                .map(|ids| ids.iter().map(|&i| stmts[i].label.clone()).collect())
                .unwrap_or_default(),
            resources: a.resources.len(),
            unknown_conditions: unknown_conditions.get(action).map(|s| s.iter().cloned().collect()).unwrap_or_default(),
        })
        .collect()
}

/// The cloudtracker-style diff; a fully granted service with no used, unobservable or
/// no-longer-granted action collapses into one `- service:*` line.
fn diff_lines(
    granted: &BTreeSet<String>,
    used: &BTreeSet<String>,
    unobservable: &BTreeSet<String>,
    not_granted: &[String],
) -> Vec<DiffLine> {
    let cat = catalog();
    let service = |a: &str| a.split(':').next().unwrap_or("").to_string();
    let mut out = Vec::new();
    // `granted` is sorted, so each service's actions are contiguous.
    let mut rest: Vec<&String> = granted.iter().collect();
    while !rest.is_empty() {
        let svc = service(rest[0]);
        let n = rest
            .iter()
            .take_while(|a| a.len() > svc.len() && a.starts_with(&svc) && a.as_bytes()[svc.len()] == b':')
            .count()
            .max(1);
        let chunk: Vec<&String> = rest.drain(..n).collect();
        let total = cat.service_actions(&svc).len();
        let quiet = chunk.iter().all(|a| !used.contains(*a) && !unobservable.contains(*a))
            && !not_granted.iter().any(|a| service(a) == svc);
        if quiet && chunk.len() == total && total > 1 {
            out.push(DiffLine { marker: "- ".into(), action: format!("{svc}:*"), count: total });
            continue;
        }
        for a in chunk {
            let m = if used.contains(a) {
                "  "
            } else if unobservable.contains(a) {
                "? "
            } else {
                "- "
            };
            out.push(DiffLine { marker: m.into(), action: a.clone(), count: 1 });
        }
    }
    out.extend(not_granted.iter().map(|a| DiffLine { marker: "+ ".into(), action: a.clone(), count: 1 }));
    out.sort_by(|a, b| a.action.cmp(&b.action).then(a.marker.cmp(&b.marker)));
    out
}

fn confidence(
    input: &PrincipalInput,
    opts: &RecommendOptions,
    unobservable: usize,
    included: &[Included],
) -> (Confidence, Vec<String>) {
    let mut low = Vec::new();
    let mut medium = Vec::new();
    let days = (input.window_end_ms - input.window_start_ms) / DAY_MS;
    if days < i64::from(opts.min_days) {
        low.push(format!("observation window of {days} day(s) is shorter than the minimum of {}", opts.min_days));
    }
    if let Some(c) = input.created_ms {
        if c > input.window_start_ms {
            low.push(format!("principal created {} within the window", rfc3339(c)));
        }
    }
    if unobservable > 0 && !opts.keep_unobservable {
        medium.push(format!("{unobservable} granted action(s) cannot be observed in CloudTrail"));
    }
    let events: u64 = included.iter().map(|i| i.call.count).sum();
    if events < opts.few_events {
        medium.push(format!("only {events} allowed event(s) observed (fewer than {})", opts.few_events));
    }
    let level = if !low.is_empty() {
        Confidence::Low
    } else if !medium.is_empty() {
        Confidence::Medium
    } else {
        Confidence::High
    };
    low.extend(medium);
    (level, low)
}

#[cfg(test)]
#[path = "trim_tests.rs"]
mod tests;
