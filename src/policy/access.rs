//! Static access analysis ("effective permissions"): can a principal perform an action at all,
//! on every resource and without conditions, or only partly? Answered from the identity-side
//! policies alone, with a per-principal index for many queries.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use super::document::{Effect, PolicySet, Statement};
use super::principal::{Caller, Shape};

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
