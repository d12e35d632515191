//! Verification of a proposal before it is written.
//!
//! 1. Replay: every observed call the original policies allow is evaluated again with the
//!    proposal as the identity policies and the same boundary, SCPs, session policies and
//!    resource policy; it must be allowed. A call without a resource that the original allowed
//!    only through a resource-specific statement (mode `AnyResource`) must still have an identity
//!    statement allowing the action under the call's context and a non-`None` static access.
//! 2. Not broader than the original:
//!    - static: for every catalog action a proposal Allow statement names, the proposal's
//!      effective access (`None < Partial < Full`) must not exceed the original's;
//!    - per statement: a statement equal to an original one is fine; otherwise for every action it
//!      expands to and every resource pattern it lists, some original identity Allow statement
//!      must match the action, cover the pattern (see [`pattern_covers`]) and have only
//!      conditions the proposed statement also has (a proposal may add conditions, never drop
//!      one);
//!    - every original identity Deny statement that applies to a proposed action must be in the
//!      proposal.
//!
//!    Resource patterns are compared as patterns, not by sampling representative ARNs: a pattern
//!    with wildcards is covered only if an original pattern provably matches everything it
//!    matches.

use std::collections::BTreeSet;

use serde_json::Value;

use super::compact::canonical;
use super::resources::pattern_covers;
use super::trim::{base_set, classify, identity_statements, principal_info, request_for, ResourcePolicySlot};
use super::{Counterexample, ObservedCall, PrincipalInput, StaticCheck, Verification};
use crate::catalog::catalog;
use crate::policy::{
    evaluate_observed, parse_policy, Access, AccessIndex, Decision, Effect, NamedPolicy, PolicyKind, PolicySet,
    Statement, Truth,
};

/// How a call was allowed originally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Allowed as an exact request (its resource, or `*` when it named none).
    Exact,
    /// No resource known and no statement matching `*`: allowed on some resource.
    AnyResource,
}

pub(crate) struct Replay<'a> {
    pub call: &'a ObservedCall,
    pub action: String,
    pub mode: Mode,
}

/// Most failures listed individually per check; the rest are counted.
const MAX_LISTED: usize = 20;

/// The original set with the proposal documents as its identity policies.
pub(crate) fn proposal_set(original: &PolicySet, documents: &[Value]) -> Result<PolicySet, String> {
    let mut set = original.clone();
    set.resource_policy = None;
    set.identity = Vec::with_capacity(documents.len());
    for (i, d) in documents.iter().enumerate() {
        let p = parse_policy(d).map_err(|e| format!("proposed document {} is invalid: {e}", i + 1))?;
        set.identity.push(NamedPolicy::new(format!("trailtrim-proposed-{}", i + 1), PolicyKind::Identity, p));
    }
    Ok(set)
}

/// Verify proposal `documents` for a principal from scratch (the calls the original allows are
/// determined again).
pub fn verify(input: &PrincipalInput, documents: &[Value]) -> Verification {
    let original = base_set(input);
    let mut scratch = original.clone();
    let index = AccessIndex::new(&original, &principal_info(input));
    let classified = classify(input, &mut scratch, &index);
    let replays: Vec<Replay> =
        classified.included.iter().map(|i| Replay { call: i.call, action: i.action.clone(), mode: i.mode }).collect();
    check(input, &original, &replays, documents)
}

pub(crate) fn check(
    input: &PrincipalInput,
    original: &PolicySet,
    replays: &[Replay],
    documents: &[Value],
) -> Verification {
    let mut v = Verification {
        replayed_calls: replays.len(),
        replayed_events: replays.iter().map(|r| r.call.count).sum(),
        ..Verification::default()
    };
    let mut pset = match proposal_set(original, documents) {
        Ok(s) => s,
        Err(e) => {
            v.failures.push(e.clone());
            v.broader_than_original = true;
            v.static_check = StaticCheck::Failed;
            v.counterexample = Some(Counterexample {
                action: "*".into(),
                resource: "*".into(),
                statement: "(document)".into(),
                reason: e,
            });
            return v;
        }
    };
    replay(input, &mut pset, replays, &mut v);
    pset.resource_policy = None;
    broader(input, original, &pset, &mut v);
    v
}

fn push_limited(failures: &mut Vec<String>, listed: &mut usize, msg: String) {
    if *listed < MAX_LISTED {
        failures.push(msg);
    }
    *listed += 1;
}

fn replay(input: &PrincipalInput, pset: &mut PolicySet, replays: &[Replay], v: &mut Verification) {
    let pindex_set = pset.clone();
    let pindex = AccessIndex::new(&pindex_set, &principal_info(input));
    let mut slot = ResourcePolicySlot::new();
    let mut listed = 0;
    for r in replays {
        let req = request_for(input, r.call, &r.action);
        slot.apply(pset, input, &req.resource);
        // As in `classify`: conditions on keys CloudTrail does not carry may hold.
        let ev = evaluate_observed(pset, &req, &super::unknown_key);
        let ok = ev.decision == Decision::Allow
            || (r.mode == Mode::AnyResource
                && ev.decision == Decision::ImplicitDeny
                && pindex.access(&r.action) != Access::None
                && pset.identity.iter().any(|np| {
                    np.policy.statements.iter().any(|st| {
                        st.effect == Effect::Allow
                            && st.matches_action(&r.action)
                            && st.conditions_truth(&req.context, &super::unknown_key) != Truth::False
                    })
                }));
        if ok {
            v.still_allowed += 1;
        } else {
            push_limited(
                &mut v.failures,
                &mut listed,
                format!(
                    "replay: {} on {} is {} under the proposal ({})",
                    r.action, req.resource, ev.decision, ev.reason
                ),
            );
        }
    }
    if listed > MAX_LISTED {
        v.failures.push(format!("replay: {} more failing calls", listed - MAX_LISTED));
    }
}

/// (operator, lowercased key, sorted values) of each condition.
fn condition_set(st: &Statement) -> BTreeSet<(String, String, Vec<String>)> {
    st.conditions
        .iter()
        .map(|c| {
            let mut vals = c.values.clone();
            vals.sort();
            (c.operator.to_string(), c.key.to_ascii_lowercase(), vals)
        })
        .collect()
}

/// Catalog actions a statement's Action element names (NotAction: everything it leaves).
fn statement_actions(st: &Statement) -> BTreeSet<String> {
    let cat = catalog();
    if st.action.negated {
        return cat.actions().map(|a| a.full_name()).filter(|a| st.matches_action(a)).collect();
    }
    st.actions().iter().flat_map(|p| cat.expand(p)).map(|a| a.full_name()).collect()
}

/// Catalog actions any Allow statement of the set's identity policies names.
pub(crate) fn allowed_universe(set: &PolicySet) -> BTreeSet<String> {
    set.identity
        .iter()
        .flat_map(|np| np.policy.statements.iter())
        .filter(|st| st.effect == Effect::Allow)
        .flat_map(statement_actions)
        .collect()
}

/// Failure messages of the static check, and the first counterexample.
#[derive(Default)]
struct Findings {
    failures: Vec<String>,
    listed: usize,
    first: Option<Counterexample>,
}

impl Findings {
    fn fail(&mut self, action: &str, resource: &str, statement: &str, msg: String) {
        if self.first.is_none() {
            self.first = Some(Counterexample {
                action: action.to_owned(),
                resource: resource.to_owned(),
                statement: statement.to_owned(),
                reason: msg.clone(),
            });
        }
        push_limited(&mut self.failures, &mut self.listed, msg);
    }
}

fn broader(input: &PrincipalInput, original: &PolicySet, pset: &PolicySet, v: &mut Verification) {
    let cat = catalog();
    let pinfo = principal_info(input);
    let oindex = AccessIndex::new(original, &pinfo);
    let pindex = AccessIndex::new(pset, &pinfo);
    let ostmts = identity_statements(original);
    let ojson: BTreeSet<String> = ostmts.iter().map(|s| canonical(s.st.to_json()).to_string()).collect();
    let mut found = Findings::default();
    let mut universe: BTreeSet<String> = BTreeSet::new();

    for np in &pset.identity {
        for st in &np.policy.statements {
            if st.effect != Effect::Allow {
                continue;
            }
            let actions = statement_actions(st);
            let label = st.sid.clone().unwrap_or_else(|| "(no Sid)".into());
            for raw in st.actions() {
                if !st.action.negated && cat.expand(raw).is_empty() {
                    found.fail(raw, "*", &label, format!("proposal names {raw}, which matches no catalog action"));
                }
            }
            universe.extend(actions.iter().cloned());
            if ojson.contains(&canonical(st.to_json()).to_string()) {
                continue;
            }
            let Some(res) = st.resource.as_ref() else {
                found.fail("*", "*", &label, format!("statement {label} has no Resource"));
                continue;
            };
            if st.action.negated {
                found.fail(
                    "*",
                    "*",
                    &label,
                    format!("statement {label} uses NotAction and is not an original statement"),
                );
                continue;
            }
            let pconds = condition_set(st);
            let presources = st.resources();
            for a in &actions {
                for r in &presources {
                    let covered = ostmts.iter().any(|o| {
                        o.st.effect == Effect::Allow
                            && o.st.matches_action(a)
                            && condition_set(o.st).is_subset(&pconds)
                            && match &o.st.resource {
                                None => true,
                                Some(or) if or.negated => {
                                    // A proposed NotResource must exclude at least what the
                                    // original excludes; a plain pattern is checked per ARN.
                                    if res.negated {
                                        o.st.resources().iter().all(|x| presources.contains(x))
                                    } else {
                                        !r.contains(['*', '?']) && o.st.matches_resource(r)
                                    }
                                }
                                Some(_) => !res.negated && o.st.resources().iter().any(|op| pattern_covers(op, r)),
                            }
                    });
                    if !covered {
                        found.fail(
                            a,
                            r,
                            &label,
                            format!(
                                "statement {label}: {a} on {r} is not granted by any original statement with the same or fewer conditions"
                            ),
                        );
                    }
                }
            }
        }
    }

    for a in &universe {
        let (p, o) = (pindex.access(a), oindex.access(a));
        if p > o {
            found.fail(a, "*", "(all)", format!("{a}: proposal access {} exceeds original {}", p.as_str(), o.as_str()));
        }
    }

    let pjson: BTreeSet<String> = pset
        .identity
        .iter()
        .flat_map(|np| np.policy.statements.iter())
        .map(|st| canonical(st.to_json()).to_string())
        .collect();
    for o in ostmts.iter().filter(|o| o.st.effect == Effect::Deny) {
        let applies = universe.iter().find(|a| o.st.matches_action(a));
        if let Some(a) = applies {
            if !pjson.contains(&canonical(o.st.to_json()).to_string()) {
                found.fail(
                    a,
                    "*",
                    &o.label,
                    format!("original deny {} applies to proposed actions but is missing", o.label),
                );
            }
        }
    }

    if found.listed > MAX_LISTED {
        found.failures.push(format!("{} more broader-than-original findings", found.listed - MAX_LISTED));
    }
    if !found.failures.is_empty() {
        v.broader_than_original = true;
        v.static_check = StaticCheck::Failed;
        v.counterexample = found.first;
        v.failures.extend(found.failures);
    }
}
