//! From (action, resources, condition) grants to policy documents within IAM's size limits.
//!
//! Order of measures, least lossy first (each only when the previous result is too big):
//! 1. statements per (service, resources, condition), actions sorted, and statements with equal
//!    actions and condition merged into one resource list (always: it changes nothing);
//! 2. statements of different services with equal resources and condition merged;
//! 3. action lists replaced by `service:Prefix*` wildcards, only when every action the wildcard
//!    expands to (catalog) is already in the statement or is granted by the original on every
//!    resource without condition, and is neither high-risk nor refused in the window;
//! 4. several documents, each within the managed-policy limit.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::{PolicyTarget, PrincipalKind, MANAGED_LIMIT, MANAGED_PER_PRINCIPAL};
use crate::catalog::{catalog, AccessLevel};

pub(crate) const VERSION: &str = "2012-10-17";

/// Characters of a policy document as IAM counts them: compact JSON without whitespace.
pub fn policy_size(doc: &Value) -> usize {
    let s = serde_json::to_string(doc).unwrap_or_default();
    s.chars().filter(|c| !c.is_whitespace()).count()
}

/// Rebuild objects with keys inserted in sorted order, so the output is the same whether or not
/// serde_json preserves insertion order in this build.
pub(crate) fn canonical(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let sorted: BTreeMap<String, Value> = m.into_iter().map(|(k, v)| (k, canonical(v))).collect();
            Value::Object(sorted.into_iter().collect::<Map<String, Value>>())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(canonical).collect()),
        other => other,
    }
}

/// Resource element of a trimmed statement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum ResourceSpec {
    Resource(Vec<String>),
    /// Copied from an original NotResource statement.
    NotResource(Vec<String>),
}

/// One action on resources under a condition block (None: unconditional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    pub action: String,
    pub resources: ResourceSpec,
    pub condition: Option<Value>,
}

/// A trimmed Allow statement before naming.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Draft {
    /// Canonical actions or (after step 3) `service:Prefix*` wildcards.
    pub actions: BTreeSet<String>,
    pub resources: ResourceSpec,
    pub condition: Option<Value>,
}

pub(crate) fn cond_key(c: &Option<Value>) -> String {
    c.as_ref().map(|v| v.to_string()).unwrap_or_default()
}

fn service_of(action: &str) -> &str {
    action.split(':').next().unwrap_or("")
}

/// Step 1: one draft per (service, resources, condition), then equal action sets merged.
pub(crate) fn group(grants: &[Grant]) -> Vec<Draft> {
    let mut by_key: BTreeMap<(String, ResourceSpec, String), Draft> = BTreeMap::new();
    for g in grants {
        let key = (service_of(&g.action).to_string(), g.resources.clone(), cond_key(&g.condition));
        by_key
            .entry(key)
            .or_insert_with(|| Draft {
                actions: BTreeSet::new(),
                resources: g.resources.clone(),
                condition: g.condition.clone(),
            })
            .actions
            .insert(g.action.clone());
    }
    merge_resources(by_key.into_values().collect())
}

/// Equal actions and condition with plain Resource lists: one statement with the union.
fn merge_resources(drafts: Vec<Draft>) -> Vec<Draft> {
    let mut merged: BTreeMap<(Vec<String>, String, bool), Draft> = BTreeMap::new();
    let mut rest = Vec::new();
    for d in drafts {
        match &d.resources {
            ResourceSpec::Resource(r) => {
                let key = (d.actions.iter().cloned().collect(), cond_key(&d.condition), true);
                match merged.get_mut(&key) {
                    Some(m) => {
                        if let ResourceSpec::Resource(mr) = &mut m.resources {
                            let u: BTreeSet<String> = mr.iter().chain(r).cloned().collect();
                            *mr = u.into_iter().collect();
                        }
                    }
                    None => {
                        merged.insert(key, d);
                    }
                }
            }
            ResourceSpec::NotResource(_) => rest.push(d),
        }
    }
    let mut out: Vec<Draft> = merged.into_values().collect();
    out.extend(rest);
    sort_drafts(&mut out);
    out
}

/// Step 2: equal resources and condition across services.
pub(crate) fn merge_across_services(drafts: Vec<Draft>) -> Vec<Draft> {
    let mut merged: BTreeMap<(ResourceSpec, String), Draft> = BTreeMap::new();
    for d in drafts {
        let key = (d.resources.clone(), cond_key(&d.condition));
        match merged.get_mut(&key) {
            Some(m) => m.actions.extend(d.actions),
            None => {
                merged.insert(key, d);
            }
        }
    }
    let mut out: Vec<Draft> = merged.into_values().collect();
    sort_drafts(&mut out);
    out
}

fn sort_drafts(d: &mut [Draft]) {
    d.sort_by(|a, b| {
        (&a.actions, &a.resources, cond_key(&a.condition)).cmp(&(&b.actions, &b.resources, cond_key(&b.condition)))
    });
}

/// Prefixes of an action name at CamelCase boundaries (`GetObjectAcl` -> `Get`, `GetObject`),
/// plus the empty prefix (`service:*`).
fn camel_prefixes(name: &str) -> Vec<&str> {
    let mut out = vec![""];
    let b = name.as_bytes();
    for i in 1..b.len() {
        if b[i].is_ascii_uppercase() && b[i - 1].is_ascii_lowercase() {
            out.push(&name[..i]);
        }
    }
    out
}

/// Step 3: replace groups of actions by `service:Prefix*` where `accept` allows every action the
/// wildcard adds. Returns the number of wildcards introduced.
pub(crate) fn wildcards(drafts: &mut [Draft], accept: &dyn Fn(&str) -> bool) -> usize {
    let cat = catalog();
    let mut introduced = 0;
    for d in drafts.iter_mut() {
        let mut by_service: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for a in &d.actions {
            if let Some((svc, name)) = a.split_once(':') {
                if !name.contains(['*', '?']) {
                    by_service.entry(svc.to_string()).or_default().insert(name.to_string());
                }
            }
        }
        for (svc, names) in by_service {
            let mut uncovered = names.clone();
            loop {
                let mut candidates: BTreeSet<String> = BTreeSet::new();
                for n in &uncovered {
                    candidates.extend(camel_prefixes(n).into_iter().map(str::to_string));
                }
                // Best: covers the most uncovered actions; ties go to the longer (narrower) prefix.
                let mut best: Option<(usize, String, Vec<String>)> = None;
                for p in candidates {
                    let covered: Vec<String> =
                        uncovered.iter().filter(|n| n.starts_with(p.as_str())).cloned().collect();
                    if covered.len() < 2 {
                        continue;
                    }
                    let expands = cat.expand(&format!("{svc}:{p}*"));
                    let ok = expands.iter().all(|a| names.contains(&a.name) || accept(&a.full_name()));
                    if !ok {
                        continue;
                    }
                    let better = match &best {
                        None => true,
                        Some((n, bp, _)) => covered.len() > *n || (covered.len() == *n && p.len() > bp.len()),
                    };
                    if better {
                        best = Some((covered.len(), p, covered));
                    }
                }
                let Some((_, p, covered)) = best else { break };
                for n in &covered {
                    uncovered.remove(n);
                    d.actions.remove(&format!("{svc}:{n}"));
                }
                d.actions.insert(format!("{svc}:{p}*"));
                introduced += 1;
            }
        }
    }
    introduced
}

fn camel_service(svc: &str) -> String {
    svc.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .map(|s| {
            let mut c = s.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn level_word(l: AccessLevel) -> &'static str {
    match l {
        AccessLevel::List => "List",
        AccessLevel::Read => "Read",
        AccessLevel::Write => "Write",
        AccessLevel::PermissionsManagement => "Permissions",
        AccessLevel::Tagging => "Tagging",
    }
}

/// Sid base: `S3Read`, `IamWrite`, `Ec2Mixed`, `MultiServiceRead`.
fn sid_base(d: &Draft) -> String {
    let services: BTreeSet<&str> = d.actions.iter().map(|a| service_of(a)).collect();
    let svc = if services.len() == 1 {
        camel_service(services.iter().next().unwrap_or(&""))
    } else {
        "MultiService".to_string()
    };
    let levels: BTreeSet<AccessLevel> =
        d.actions.iter().flat_map(|a| catalog().expand(a)).map(|i| i.access_level).collect();
    let level = match levels.len() {
        1 => level_word(*levels.iter().next().unwrap_or(&AccessLevel::Read)),
        _ => "Mixed",
    };
    format!("{svc}{level}")
}

/// Name drafts deterministically; `taken` holds Sids already used (kept statements).
pub(crate) fn name(drafts: Vec<Draft>, taken: &BTreeSet<String>) -> Vec<(String, Draft)> {
    let mut used = taken.clone();
    let mut out = Vec::with_capacity(drafts.len());
    for d in drafts {
        let base = sid_base(&d);
        let mut sid = base.clone();
        let mut n = 2;
        while used.contains(&sid) {
            sid = format!("{base}{n}");
            n += 1;
        }
        used.insert(sid.clone());
        out.push((sid, d));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn string_or_list(v: impl IntoIterator<Item = String>) -> Value {
    let mut v: Vec<String> = v.into_iter().collect();
    v.sort();
    v.dedup();
    if v.len() == 1 {
        json!(v[0])
    } else {
        json!(v)
    }
}

/// JSON of a trimmed Allow statement (keys in sorted order).
pub(crate) fn statement_json(sid: &str, d: &Draft) -> Value {
    let mut m = Map::new();
    m.insert("Action".into(), string_or_list(d.actions.iter().cloned()));
    if let Some(c) = &d.condition {
        m.insert("Condition".into(), canonical(c.clone()));
    }
    m.insert("Effect".into(), json!("Allow"));
    match &d.resources {
        ResourceSpec::NotResource(r) => {
            m.insert("NotResource".into(), string_or_list(r.iter().cloned()));
        }
        ResourceSpec::Resource(r) => {
            m.insert("Resource".into(), string_or_list(r.iter().cloned()));
        }
    }
    m.insert("Sid".into(), json!(sid));
    Value::Object(m)
}

pub(crate) fn document(statements: Vec<Value>) -> Value {
    let mut m = Map::new();
    m.insert("Statement".into(), Value::Array(statements));
    m.insert("Version".into(), json!(VERSION));
    Value::Object(m)
}

/// What goes into the proposal.
pub(crate) struct Parts {
    /// Keep-marked statements, verbatim (canonical JSON).
    pub keep: Vec<Value>,
    pub allows: Vec<Draft>,
    /// Original identity Deny statements that apply to proposed actions, verbatim.
    pub denies: Vec<Value>,
}

pub(crate) struct Fitted {
    pub documents: Vec<Value>,
    pub notes: Vec<String>,
    /// A statement that cannot fit any document (verbatim ones cannot be cut).
    pub errors: Vec<String>,
    /// Split into customer managed policies (the proposal exceeds the target's limit).
    pub split: bool,
}

fn sid_of(v: &Value) -> Option<String> {
    v.get("Sid").and_then(Value::as_str).map(str::to_string)
}

fn assemble(parts: &Parts, allows: &[Draft]) -> Vec<Value> {
    let taken: BTreeSet<String> = parts.keep.iter().chain(&parts.denies).filter_map(sid_of).collect();
    let mut out: Vec<Value> = parts.keep.clone();
    out.extend(name(allows.to_vec(), &taken).iter().map(|(sid, d)| statement_json(sid, d)));
    out.extend(parts.denies.iter().cloned());
    out
}

/// Fit the proposal into the limit of the target; see the module docs for the order of measures.
pub(crate) fn fit(parts: Parts, kind: PrincipalKind, target: PolicyTarget, accept: &dyn Fn(&str) -> bool) -> Fitted {
    let limit = match target {
        PolicyTarget::Inline => kind.inline_limit(),
        PolicyTarget::Managed => MANAGED_LIMIT,
    };
    let what = match target {
        PolicyTarget::Inline => format!("{} inline policy limit", kind.as_str()),
        PolicyTarget::Managed => "managed policy limit".to_string(),
    };
    let mut notes = Vec::new();
    let single = |allows: &[Draft]| document(assemble(&parts, allows));
    let mut allows = parts.allows.clone();
    let doc = single(&allows);
    let first_size = policy_size(&doc);
    if first_size <= limit {
        return Fitted { documents: vec![doc], notes, errors: Vec::new(), split: false };
    }
    allows = merge_across_services(allows);
    let doc = single(&allows);
    if policy_size(&doc) <= limit {
        notes.push(format!(
            "merged statements of different services with equal resources and conditions to fit the {what} ({limit} characters)"
        ));
        return Fitted { documents: vec![doc], notes, errors: Vec::new(), split: false };
    }
    let n = wildcards(&mut allows, accept);
    if n > 0 {
        allows = merge_resources(allows);
        notes.push(format!(
            "introduced {n} action wildcard(s) to save space; each adds only actions the original grants on every resource without conditions and none that is high-risk; a wildcard also matches actions AWS adds later"
        ));
    }
    let doc = single(&allows);
    let size = policy_size(&doc);
    if size <= limit {
        return Fitted { documents: vec![doc], notes, errors: Vec::new(), split: false };
    }
    let (documents, errors) = split(&assemble(&parts, &allows), MANAGED_LIMIT);
    notes.push(match target {
        PolicyTarget::Inline => format!(
            "the proposal ({size} characters) exceeds the {what} ({limit}); IAM counts all inline policies of a {} together, so it is split into {} customer managed policies of at most {MANAGED_LIMIT} characters each: create and attach them instead of an inline policy",
            kind.as_str(),
            documents.len()
        ),
        PolicyTarget::Managed => format!(
            "the proposal ({size} characters) exceeds the {what} ({limit}); split into {} documents",
            documents.len()
        ),
    });
    if documents.len() > MANAGED_PER_PRINCIPAL {
        notes.push(format!(
            "{} documents exceed the default quota of {MANAGED_PER_PRINCIPAL} managed policies per {} (the quota can be raised to 20)",
            documents.len(),
            kind.as_str()
        ));
    }
    Fitted { documents, notes, errors, split: true }
}

/// Cut one Allow statement into pieces that each fit `budget`: halve the action list, or the
/// resource list when there is a single action. Verbatim statements are returned whole.
fn cut(stmt: &Value, budget: usize) -> Vec<Value> {
    if policy_size(stmt) <= budget {
        return vec![stmt.clone()];
    }
    let as_list = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        }
    };
    let actions = as_list(stmt.get("Action"));
    let rkey = if stmt.get("Resource").is_some() { "Resource" } else { "NotResource" };
    let resources = as_list(stmt.get(rkey));
    let (key, items) = if actions.len() > 1 {
        ("Action", actions)
    } else if rkey == "Resource" && resources.len() > 1 {
        ("Resource", resources)
    } else {
        return vec![stmt.clone()];
    };
    let mid = items.len() / 2;
    let mut out = Vec::new();
    for half in [&items[..mid], &items[mid..]] {
        let mut s = stmt.clone();
        s[key] = string_or_list(half.iter().cloned());
        out.extend(cut(&s, budget));
    }
    out
}

/// First-fit in order into documents of at most `limit` characters; Sids of cut statements get
/// `Part1`, `Part2`, ... suffixes.
fn split(statements: &[Value], limit: usize) -> (Vec<Value>, Vec<String>) {
    let overhead = policy_size(&document(Vec::new()));
    let budget = limit.saturating_sub(overhead + 1);
    let mut pieces: Vec<Value> = Vec::new();
    let mut errors = Vec::new();
    for st in statements {
        let cuts = cut(st, budget);
        if cuts.len() > 1 {
            for (i, mut c) in cuts.into_iter().enumerate() {
                if let Some(sid) = sid_of(&c) {
                    c["Sid"] = json!(format!("{sid}Part{}", i + 1));
                }
                pieces.push(c);
            }
        } else {
            if policy_size(st) > budget {
                errors.push(format!(
                    "statement {} alone is {} characters, more than a {limit}-character document can hold",
                    sid_of(st).unwrap_or_else(|| "(no Sid)".into()),
                    policy_size(st)
                ));
            }
            pieces.push(st.clone());
        }
    }
    let mut docs: Vec<Vec<Value>> = Vec::new();
    let mut used = 0usize;
    for p in pieces {
        let sz = policy_size(&p) + 1;
        match docs.last_mut() {
            Some(cur) if used + sz <= budget + 1 => {
                cur.push(p);
                used += sz;
            }
            _ => {
                docs.push(vec![p]);
                used = sz;
            }
        }
    }
    (docs.into_iter().map(document).collect(), errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(a: &str, r: &[&str]) -> Grant {
        Grant {
            action: a.into(),
            resources: ResourceSpec::Resource(r.iter().map(|s| s.to_string()).collect()),
            condition: None,
        }
    }

    #[test]
    fn size_ignores_whitespace() {
        let d = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get Object"}]});
        let compact = serde_json::to_string(&d).unwrap();
        assert_eq!(policy_size(&d), compact.len() - 1);
    }

    #[test]
    fn groups_and_merges() {
        let g = vec![
            grant("s3:GetObject", &["arn:aws:s3:::b/*"]),
            grant("s3:PutObject", &["arn:aws:s3:::b/*"]),
            grant("s3:ListBucket", &["arn:aws:s3:::b"]),
            grant("s3:GetObjectTagging", &["arn:aws:s3:::c/x"]),
            grant("s3:GetObjectTagging", &["arn:aws:s3:::c/y"]),
            grant("ec2:DescribeInstances", &["*"]),
        ];
        let d = group(&g);
        assert_eq!(d.len(), 4, "{d:?}");
        let tag = d.iter().find(|d| d.actions.contains("s3:GetObjectTagging")).unwrap();
        assert_eq!(tag.resources, ResourceSpec::Resource(vec!["arn:aws:s3:::c/x".into(), "arn:aws:s3:::c/y".into()]));
        let named = name(d, &BTreeSet::new());
        let sids: Vec<&str> = named.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(sids, vec!["Ec2List", "S3List", "S3Mixed", "S3Read"]);
    }

    #[test]
    fn wildcards_respect_accept() {
        let mut d = vec![Draft {
            actions: ["ec2:DescribeInstances", "ec2:DescribeVolumes", "ec2:DescribeImages"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            resources: ResourceSpec::Resource(vec!["*".into()]),
            condition: None,
        }];
        // Nothing else acceptable: no wildcard can be used (Describe* expands to many more).
        assert_eq!(wildcards(&mut d.clone(), &|_| false), 0);
        let n = wildcards(&mut d, &|a: &str| a.starts_with("ec2:Describe"));
        assert_eq!(n, 1);
        assert_eq!(d[0].actions.iter().collect::<Vec<_>>(), vec!["ec2:Describe*"]);
    }

    #[test]
    fn split_cuts_big_statements() {
        let actions: Vec<String> = catalog().service_actions("ec2").iter().map(|a| a.full_name()).collect();
        let st = json!({"Sid": "Ec2Mixed", "Effect": "Allow", "Action": actions, "Resource": "*"});
        let (docs, errors) = split(&[st], MANAGED_LIMIT);
        assert!(errors.is_empty());
        assert!(docs.len() > 2);
        let mut all = BTreeSet::new();
        for d in &docs {
            assert!(policy_size(d) <= MANAGED_LIMIT);
            for s in d["Statement"].as_array().unwrap() {
                assert!(s["Sid"].as_str().unwrap().starts_with("Ec2MixedPart"));
                match &s["Action"] {
                    Value::String(a) => {
                        all.insert(a.clone());
                    }
                    Value::Array(a) => all.extend(a.iter().map(|x| x.as_str().unwrap().to_string())),
                    _ => panic!(),
                }
            }
        }
        assert_eq!(all.len(), actions.len());
    }

    /// Parts of one Allow statement whose resource list makes the assembled document exactly
    /// `size` characters as IAM counts them (many resources, so a split can cut it).
    fn padded(size: usize) -> Parts {
        let parts = |res: &[String]| Parts {
            keep: Vec::new(),
            allows: vec![Draft {
                actions: ["s3:GetObject".to_string()].into(),
                resources: ResourceSpec::Resource(res.to_vec()),
                condition: None,
            }],
            denies: Vec::new(),
        };
        let measure = |res: &[String]| {
            let p = parts(res);
            policy_size(&document(assemble(&p, &p.allows)))
        };
        let mut res: Vec<String> = vec!["arn:aws:s3:::b/first".into()];
        while measure(&res) + 60 < size {
            res.push(format!("arn:aws:s3:::b/{:06}", res.len()));
        }
        res.push("arn:aws:s3:::b/last".into());
        let short = size - measure(&res);
        res.last_mut().unwrap().push_str(&"x".repeat(short));
        assert_eq!(measure(&res), size);
        parts(&res)
    }

    #[test]
    fn each_kind_has_its_iam_inline_limit_and_managed_is_6144() {
        // IAM's documented quotas: user 2,048, group 5,120, role 10,240 (all inline policies of
        // the holder together), customer managed 6,144; white space not counted.
        for (kind, limit) in
            [(PrincipalKind::User, 2_048), (PrincipalKind::Group, 5_120), (PrincipalKind::Role, 10_240)]
        {
            assert_eq!(kind.inline_limit(), limit, "{kind:?}");
            let at = fit(padded(limit), kind, PolicyTarget::Inline, &|_| false);
            assert!(!at.split && at.documents.len() == 1, "{kind:?}: {limit} characters fit");
            let over = fit(padded(limit + 1), kind, PolicyTarget::Inline, &|_| false);
            assert!(over.split, "{kind:?}: {} characters do not fit", limit + 1);
            assert!(over.notes.iter().any(|n| n.contains(&format!("{} inline policy limit ({limit})", kind.as_str()))));
            for d in &over.documents {
                assert!(policy_size(d) <= MANAGED_LIMIT);
            }
        }
        for kind in [PrincipalKind::User, PrincipalKind::Group, PrincipalKind::Role] {
            assert!(!fit(padded(MANAGED_LIMIT), kind, PolicyTarget::Managed, &|_| false).split);
            assert!(fit(padded(MANAGED_LIMIT + 1), kind, PolicyTarget::Managed, &|_| false).split);
        }
        // White space inside the JSON text does not count: a pretty-printed document is the size
        // of its compact form.
        let d = document(assemble(&padded(3_000), &padded(3_000).allows));
        let pretty = serde_json::to_string_pretty(&d).unwrap();
        assert!(pretty.len() > 3_000);
        assert_eq!(pretty.chars().filter(|c| !c.is_whitespace()).count(), 3_000);
    }
}
