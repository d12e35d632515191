//! Resource generalisation: from the ARNs a principal touched to a short list of patterns that is
//! never wider than the statement that allowed the calls.
//!
//! Shape of an ARN here: `head` = everything through the fifth colon (`arn:aws:s3:::`,
//! `arn:aws:dynamodb:us-east-1:111122223333:`), then the resource part. The resource part splits
//! at its first `/` into a `root` (`examplecorp-data/`, `table/`, `role/`) and a key
//! (`reports/2026/01/a.csv`, `Orders`). Generalisation works inside one head+root:
//!
//! 1. A root with at most `list_limit` keys keeps them as an explicit list.
//! 2. Otherwise keys are bucketed by their directory cut to `max_depth` segments
//!    (`reports/2026/01/a.csv` with depth 1 -> `reports/`). A bucket holding more than one key
//!    becomes `root + dir + *` — if an original pattern covers it; if not, ever deeper directories
//!    (down to the bucket's longest common directory) are tried before falling back to the keys.
//! 3. If the root still has more than `list_limit` entries, `root*` is used when covered.
//! 4. Still too many explicit ARNs: they are replaced by the original patterns that match them
//!    (equal to the original grant for those resources, so never wider).

use std::collections::{BTreeMap, BTreeSet};

use crate::policy::matching::ArnGlob;

/// Limits for [`generalise`].
#[derive(Debug, Clone, Copy)]
pub struct Generalise {
    /// Largest explicit list kept per root before wildcards are considered.
    pub list_limit: usize,
    /// Directory segments (below the root) a generated `prefix*` pattern keeps at most.
    pub max_depth: usize,
}

/// Split an ARN into (head through the fifth colon, resource part).
fn split_head(arn: &str) -> Option<(&str, &str)> {
    let mut colons = 0;
    for (i, b) in arn.bytes().enumerate() {
        if b == b':' {
            colons += 1;
            if colons == 5 {
                return Some((&arn[..=i], &arn[i + 1..]));
            }
        }
    }
    None
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// Does the original pattern `outer` allow at least everything `inner` allows?
///
/// `inner` is either a literal ARN or `literal*` (the only shapes generalisation produces), or a
/// pattern copied from the original (then only equality counts). Patterns with policy variables
/// cover only themselves: their value depends on the request.
pub fn pattern_covers(outer: &str, inner: &str) -> bool {
    if outer == inner || outer == "*" {
        return true;
    }
    if outer.contains("${") {
        return false;
    }
    let glob = ArnGlob::new(outer);
    if !has_wildcard(inner) {
        return glob.is_match(inner);
    }
    let Some(lit) = inner.strip_suffix('*') else {
        return false;
    };
    if has_wildcard(lit) || !outer.ends_with('*') {
        return false;
    }
    // `outer` = X* with its final star in the resource part (or a whole-string glob): if it
    // matches `lit`, the final star also absorbs any continuation of `lit`.
    glob.is_match(lit)
}

/// True when one of `originals` covers `inner`.
pub fn covered_by_any(originals: &[String], inner: &str) -> bool {
    originals.iter().any(|o| pattern_covers(o, inner))
}

/// Directory part of a key cut to at most `depth` segments, with trailing `/` (or "" at top).
fn dir_prefix(key: &str, depth: usize) -> String {
    let segs: Vec<&str> = key.split('/').collect();
    let dirs = &segs[..segs.len() - 1];
    let take = dirs.len().min(depth);
    let mut out = String::new();
    for d in &dirs[..take] {
        out.push_str(d);
        out.push('/');
    }
    out
}

/// Longest common directory (ending at a `/`) of keys.
fn common_dir<'a>(keys: impl Iterator<Item = &'a str>) -> String {
    let mut lcp: Option<&str> = None;
    for k in keys {
        let dir = match k.rfind('/') {
            Some(i) => &k[..=i],
            None => "",
        };
        lcp = Some(match lcp {
            None => dir,
            Some(p) => {
                let n = p.bytes().zip(dir.bytes()).take_while(|(a, b)| a == b).count();
                &p[..n]
            }
        });
    }
    let p = lcp.unwrap_or("");
    match p.rfind('/') {
        Some(i) => p[..=i].to_string(),
        None => String::new(),
    }
}

/// Generalise observed resource ARNs (all allowed by a statement with resource patterns
/// `originals`) into a sorted pattern list never wider than `originals`.
pub fn generalise(arns: &BTreeSet<String>, originals: &[String], g: Generalise) -> Vec<String> {
    if arns.len() <= g.list_limit {
        return arns.iter().cloned().collect();
    }
    let mut out: BTreeSet<String> = BTreeSet::new();
    // (head + root) -> keys below the root
    let mut roots: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for arn in arns {
        let rooted = split_head(arn)
            .and_then(|(head, res)| res.find('/').map(|i| (arn[..head.len() + i + 1].to_string(), &res[i + 1..])));
        match rooted {
            Some((root, key)) if !key.is_empty() && !has_wildcard(arn) => roots.entry(root).or_default().push(key),
            _ => {
                out.insert(arn.clone());
            }
        }
    }
    for (root, keys) in roots {
        let patterns = generalise_root(&root, &keys, originals, g);
        out.extend(patterns);
    }
    let mut list: Vec<String> = out.into_iter().collect();
    if list.len() > g.list_limit {
        list = fold_into_originals(list, originals);
    }
    list
}

fn generalise_root(root: &str, keys: &[&str], originals: &[String], g: Generalise) -> Vec<String> {
    let explicit = |ks: &[&str]| -> Vec<String> { ks.iter().map(|k| format!("{root}{k}")).collect() };
    if keys.len() <= g.list_limit {
        return explicit(keys);
    }
    let mut buckets: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for k in keys {
        buckets.entry(dir_prefix(k, g.max_depth)).or_default().push(k);
    }
    let mut out = Vec::new();
    for (dir, members) in &buckets {
        if dir.is_empty() || members.len() < 2 {
            out.extend(explicit(members));
            continue;
        }
        // Start from the members' own common directory, not the top-level one: objects all under
        // `sandbox/bob/` must not open `sandbox/*` to everyone's files. Time-partition levels
        // (`2026/`, `09/`, `2026-10-01/`) are not descended into, so a daily layout stays
        // `reports/*` rather than this year's `reports/2026/*`.
        let start = natural_prefix(members).filter(|p| p.starts_with(dir.as_str())).unwrap_or_else(|| dir.clone());
        match covered_prefix(root, &start, members, originals) {
            Some(p) => out.push(p),
            None => out.extend(explicit(members)),
        }
    }
    if out.len() > g.list_limit {
        let whole = format!("{root}*");
        if covered_by_any(originals, &whole) {
            return vec![whole];
        }
    }
    out
}

/// The members' common directory, cut before its first time-partition segment (digits and
/// dashes only, e.g. `2026`, `09`, `2026-10-01`, `dt=2026-10-01` keeps its key but not the date).
fn natural_prefix(members: &[&str]) -> Option<String> {
    let common = common_dir(members.iter().copied());
    if common.is_empty() {
        return None;
    }
    let mut out = String::new();
    for seg in common.split_terminator('/') {
        if ephemeral(seg) {
            break;
        }
        out.push_str(seg);
        out.push('/');
    }
    (!out.is_empty()).then_some(out)
}

/// A path segment that names something short-lived rather than an owner or a purpose: a
/// time partition (`2026`, `2026-10-01`, `dt=2026-10-01`), an EC2 instance (`i-0abc...`, also
/// inside `server:log-stream:i-0abc...`) or a UUID.
fn ephemeral(seg: &str) -> bool {
    let value = seg.rsplit('=').next().unwrap_or(seg);
    let time = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'_');
    let instance = seg
        .split([':', '/', '='])
        .any(|part| part.strip_prefix("i-").is_some_and(|h| h.len() >= 8 && h.bytes().all(|b| b.is_ascii_hexdigit())));
    let uuid = value.len() == 36 && value.bytes().filter(|&b| b == b'-').count() == 4;
    time || instance || uuid
}

/// The shallowest `root + dir* ` pattern (starting at `dir`, deepening toward the members'
/// common directory) that an original pattern covers.
fn covered_prefix(root: &str, dir: &str, members: &[&str], originals: &[String]) -> Option<String> {
    let deepest = common_dir(members.iter().copied());
    let mut cur = dir.to_string();
    loop {
        let cand = format!("{root}{cur}*");
        if covered_by_any(originals, &cand) {
            return Some(cand);
        }
        if cur.len() >= deepest.len() {
            return None;
        }
        // Next directory level of the common directory.
        let rest = &deepest[cur.len()..];
        let step = rest.find('/').map(|i| i + 1).unwrap_or(rest.len());
        cur.push_str(&rest[..step]);
    }
}

/// Replace explicit ARNs by the original literal-free patterns that match them when that shortens
/// the list; ARNs no original matches statically (variables, NotResource) stay explicit.
fn fold_into_originals(list: Vec<String>, originals: &[String]) -> Vec<String> {
    let usable: Vec<&String> = originals.iter().filter(|o| !o.contains("${")).collect();
    let mut out: BTreeSet<String> = BTreeSet::new();
    let mut used_originals: BTreeSet<String> = BTreeSet::new();
    for item in &list {
        match usable.iter().find(|o| pattern_covers(o, item)) {
            Some(o) => {
                used_originals.insert((*o).clone());
            }
            None => {
                out.insert(item.clone());
            }
        }
    }
    if used_originals.is_empty() {
        return list;
    }
    out.extend(used_originals);
    if out.len() < list.len() {
        out.into_iter().collect()
    } else {
        list
    }
}

#[cfg(test)]
mod natural_prefix_tests {
    use super::natural_prefix;

    #[test]
    fn stops_at_time_partitions_and_keeps_owner_directories() {
        assert_eq!(
            natural_prefix(&["reports/2026/09/01/a.csv", "reports/2026/10/02/b.csv"]).as_deref(),
            Some("reports/")
        );
        assert_eq!(natural_prefix(&["sandbox/bob/a", "sandbox/bob/x/b"]).as_deref(), Some("sandbox/bob/"));
        assert_eq!(
            natural_prefix(&["exports/2026-10-01/o.csv", "exports/2026-10-02/o.csv"]).as_deref(),
            Some("exports/")
        );
        assert_eq!(natural_prefix(&["a/b", "c/d"]), None);
        let streams = [
            "app/server:log-stream:i-0abc1234def567890/2026-09-01",
            "app/server:log-stream:i-0abc1234def567890/2026-09-02",
        ];
        assert_eq!(natural_prefix(&streams).as_deref(), Some("app/"), "instance ids are not owners");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[String]) -> BTreeSet<String> {
        items.iter().cloned().collect()
    }

    const G: Generalise = Generalise { list_limit: 10, max_depth: 1 };

    fn reports(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("arn:aws:s3:::examplecorp-data/reports/2026/{:02}/part-{i}.csv", i % 12 + 1)).collect()
    }

    #[test]
    fn covers() {
        assert!(pattern_covers("*", "arn:aws:s3:::b/x"));
        assert!(pattern_covers("arn:aws:s3:::b/*", "arn:aws:s3:::b/reports/*"));
        assert!(pattern_covers("arn:aws:s3:::b/rep*", "arn:aws:s3:::b/reports/*"));
        assert!(!pattern_covers("arn:aws:s3:::b/reports/2026/*", "arn:aws:s3:::b/reports/*"));
        assert!(pattern_covers("arn:aws:s3:::b/reports/2026/*", "arn:aws:s3:::b/reports/2026/01/x"));
        assert!(!pattern_covers("arn:aws:s3:::b/*.csv", "arn:aws:s3:::b/reports/*"));
        assert!(pattern_covers("arn:aws:s3:::*/reports/*", "arn:aws:s3:::b/reports/2026/*"));
        assert!(!pattern_covers("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/alice/*"));
        assert!(pattern_covers("arn:aws:iam::*:role/*", "arn:aws:iam::111122223333:role/app"));
        assert!(!pattern_covers("arn:aws:iam::*:role/a?", "arn:aws:iam::111122223333:role/a*"));
    }

    #[test]
    fn small_sets_stay_explicit() {
        let arns = set(&reports(4));
        assert_eq!(generalise(&arns, &["*".into()], G), arns.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn many_objects_become_a_prefix() {
        let arns = set(&reports(30));
        assert_eq!(
            generalise(&arns, &["arn:aws:s3:::examplecorp-data/*".into()], G),
            vec!["arn:aws:s3:::examplecorp-data/reports/*"]
        );
    }

    #[test]
    fn never_wider_than_original() {
        let arns = set(&reports(30));
        let orig = vec!["arn:aws:s3:::examplecorp-data/reports/2026/*".to_string()];
        assert_eq!(generalise(&arns, &orig, G), vec!["arn:aws:s3:::examplecorp-data/reports/2026/*"]);
        // Original is a set of explicit objects: nothing can be generalised, the originals that
        // match are the fallback (equal to the grant).
        let orig: Vec<String> = reports(30);
        let got = generalise(&arns, &orig, G);
        assert_eq!(got.len(), 30);
        assert!(got.iter().all(|p| !p.contains('*')));
    }

    #[test]
    fn separate_directories_and_tables() {
        let mut arns = reports(20);
        arns.extend((0..5).map(|i| format!("arn:aws:s3:::examplecorp-data/logs/{i}.gz")));
        arns.push("arn:aws:s3:::examplecorp-data/README".into());
        let got = generalise(&set(&arns), &["arn:aws:s3:::*".into()], G);
        assert_eq!(
            got,
            vec![
                "arn:aws:s3:::examplecorp-data/README",
                "arn:aws:s3:::examplecorp-data/logs/*",
                "arn:aws:s3:::examplecorp-data/reports/*",
            ]
        );
        let tables: Vec<String> = ["Orders", "Users", "Invoices"]
            .iter()
            .map(|t| format!("arn:aws:dynamodb:us-east-1:111122223333:table/{t}"))
            .collect();
        assert_eq!(generalise(&set(&tables), &["*".into()], G).len(), 3);
        let many: Vec<String> =
            (0..12).map(|t| format!("arn:aws:dynamodb:us-east-1:111122223333:table/T{t}")).collect();
        assert_eq!(generalise(&set(&many), &["*".into()], G), vec!["arn:aws:dynamodb:us-east-1:111122223333:table/*"]);
        // The same with an original limited to those tables' prefix that does not cover table/*.
        let orig = vec!["arn:aws:dynamodb:us-east-1:111122223333:table/T*".to_string()];
        assert_eq!(generalise(&set(&many), &orig, G), orig);
    }
}
