//! Sigma rules over the lake: the subset that CloudTrail rules use, compiled to polars
//! expressions.
//!
//! Supported: rules whose `logsource` is product `aws` / service `cloudtrail`; selections that
//! are a map (fields ANDed) or a list of maps (ORed); values that are a scalar, a list (ORed, or
//! ANDed with `|all`) or `null`; plain values with `*` / `?` wildcards; the modifiers
//! `contains`, `startswith`, `endswith`, `re`, `all`, `cased` and `exists`; conditions with `and`,
//! `or`, `not`, parentheses, `1 of X*`, `all of X*`, `1 of them`, `all of them` (a list of
//! conditions is their `or`). Matching is case-insensitive except with `re` and `cased`, as in
//! Sigma.
//!
//! CloudTrail field names map onto the lake's columns (`userIdentity.type` -> `identity_type`);
//! paths into the JSON columns (`requestParameters.attribute`, `responseElements.ConsoleLogin`,
//! `additionalEventData.MFAUsed`, other `userIdentity.*` paths) are read from the JSON text of
//! each row by a column function. Anything else (keyword lists, aggregations such as
//! `| count()`, other modifiers, unknown fields) makes the rule unsupported: it is skipped with
//! an error naming the file and the construct, never a silent partial match.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde_json::{Map, Value as Json};
use serde_yaml_ng::Value as Yaml;

use super::event::{iso_time, Event};
use super::findings::{common_evidence, json_set, stable_id, Finding, Severity};

/// A compiled rule.
#[derive(Clone)]
pub struct SigmaRule {
    pub file: PathBuf,
    pub id: String,
    pub title: String,
    /// Sigma's level as written (`informational`, `low`, `medium`, `high`, `critical`).
    pub level: String,
    pub tags: Vec<String>,
    pub expr: Expr,
}

impl std::fmt::Debug for SigmaRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigmaRule").field("file", &self.file).field("id", &self.id).field("expr", &self.expr).finish()
    }
}

/// The rules of a folder: those that compiled, and a message per file that did not.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<SigmaRule>,
    /// `<file>: <reason>` for each rule skipped.
    pub skipped: Vec<String>,
    /// Rules for other log sources (not CloudTrail): not ours to run, not an error.
    pub other_logsource: usize,
}

/// Loads every `.yml` / `.yaml` file under `dir` (recursively, in path order). Only an
/// unreadable folder is an error; a bad rule is skipped and reported in `skipped`.
pub fn load_dir(dir: &Path) -> anyhow::Result<RuleSet> {
    if !dir.is_dir() {
        anyhow::bail!("--sigma {}: not a folder of Sigma rules", dir.display());
    }
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    files.sort();
    let mut set = RuleSet::default();
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => {
                set.skipped.push(format!("{}: cannot read ({e})", file.display()));
                continue;
            }
        };
        match parse_rule(&text, &file) {
            Ok(Some(rule)) => set.rules.push(rule),
            Ok(None) => set.other_logsource += 1,
            Err(e) => set.skipped.push(format!("{}: {e}; rule skipped", file.display())),
        }
    }
    Ok(set)
}

/// Parses and compiles one rule. `Ok(None)`: a rule for another log source.
pub fn parse_rule(text: &str, file: &Path) -> Result<Option<SigmaRule>, String> {
    let doc: Yaml = serde_yaml_ng::from_str(text).map_err(|e| format!("not a Sigma rule (YAML: {e})"))?;
    let logsource = doc.get("logsource").ok_or("no logsource")?;
    let product = logsource.get("product").and_then(Yaml::as_str).unwrap_or("");
    let service = logsource.get("service").and_then(Yaml::as_str).unwrap_or("");
    if !product.eq_ignore_ascii_case("aws") || !service.eq_ignore_ascii_case("cloudtrail") {
        return Ok(None);
    }
    let title = doc.get("title").and_then(Yaml::as_str).ok_or("no title")?.to_owned();
    let id = doc.get("id").and_then(Yaml::as_str).ok_or("no id")?.to_owned();
    let level = doc.get("level").and_then(Yaml::as_str).unwrap_or("medium").to_ascii_lowercase();
    if severity_of(&level).is_none() {
        return Err(format!("unknown level `{level}`"));
    }
    let tags = match doc.get("tags") {
        Some(Yaml::Sequence(items)) => items.iter().filter_map(Yaml::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let detection = doc.get("detection").and_then(Yaml::as_mapping).ok_or("no detection")?;
    let mut selections: BTreeMap<String, Expr> = BTreeMap::new();
    let mut condition: Option<&Yaml> = None;
    for (k, v) in detection {
        let name = k.as_str().ok_or("a detection key is not a string")?;
        match name {
            "condition" => condition = Some(v),
            "timeframe" => return Err("`timeframe` (aggregation) is not supported".into()),
            _ => {
                selections.insert(name.to_owned(), selection(name, v)?);
            }
        }
    }
    let condition = condition.ok_or("no condition")?;
    let expr = match condition {
        Yaml::String(c) => compile_condition(c, &selections)?,
        Yaml::Sequence(list) => {
            let mut out: Option<Expr> = None;
            for c in list {
                let c = c.as_str().ok_or("a condition is not a string")?;
                let e = compile_condition(c, &selections)?;
                out = Some(match out {
                    Some(o) => o.or(e),
                    None => e,
                });
            }
            out.ok_or("empty condition list")?
        }
        _ => return Err("the condition is not a string".into()),
    };
    Ok(Some(SigmaRule { file: file.to_owned(), id, title, level, tags, expr }))
}

/// Sigma's levels onto ours (informational findings are low).
pub fn severity_of(level: &str) -> Option<Severity> {
    Some(match level {
        "informational" | "low" => Severity::Low,
        "medium" => Severity::Medium,
        "high" => Severity::High,
        "critical" => Severity::Critical,
        _ => return None,
    })
}

/// A selection: a map (every field matches) or a list of maps (any of them).
fn selection(name: &str, v: &Yaml) -> Result<Expr, String> {
    match v {
        Yaml::Mapping(map) => field_map(name, map),
        Yaml::Sequence(items) => {
            let mut out: Option<Expr> = None;
            for item in items {
                let e = match item {
                    Yaml::Mapping(map) => field_map(name, map)?,
                    _ => {
                        return Err(format!(
                            "selection `{name}`: keyword lists (values without a field) are not supported"
                        ))
                    }
                };
                out = Some(match out {
                    Some(o) => o.or(e),
                    None => e,
                });
            }
            out.ok_or_else(|| format!("selection `{name}` is empty"))
        }
        _ => Err(format!("selection `{name}`: expected a map of fields or a list of maps")),
    }
}

fn field_map(name: &str, map: &serde_yaml_ng::Mapping) -> Result<Expr, String> {
    let mut out: Option<Expr> = None;
    for (k, v) in map {
        let key = k.as_str().ok_or_else(|| format!("selection `{name}`: a field name is not a string"))?;
        let e = field_match(key, v).map_err(|e| format!("selection `{name}`, field `{key}`: {e}"))?;
        out = Some(match out {
            Some(o) => o.and(e),
            None => e,
        });
    }
    out.ok_or_else(|| format!("selection `{name}` is empty"))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Equals,
    Contains,
    StartsWith,
    EndsWith,
    Regex,
}

/// `field|mod|mod: value(s)`.
fn field_match(key: &str, v: &Yaml) -> Result<Expr, String> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or("");
    let (mut op, mut all, mut cased, mut exists) = (Op::Equals, false, false, false);
    for m in parts {
        match m {
            "contains" => op = Op::Contains,
            "startswith" => op = Op::StartsWith,
            "endswith" => op = Op::EndsWith,
            "re" => op = Op::Regex,
            "all" => all = true,
            "cased" => cased = true,
            "exists" => exists = true,
            other => return Err(format!("unsupported modifier `{other}`")),
        }
    }
    let column = FieldColumn::of(field)?;
    if exists {
        let want = match v {
            Yaml::Bool(b) => *b,
            _ => return Err("`exists` takes true or false".into()),
        };
        let e = column.expr().is_not_null();
        return Ok(if want { e } else { e.not() });
    }
    let values: Vec<&Yaml> = match v {
        Yaml::Sequence(items) => items.iter().collect(),
        other => vec![other],
    };
    if values.is_empty() {
        return Err("empty list of values".into());
    }
    let mut out: Option<Expr> = None;
    for value in values {
        let e = value_match(&column, op, cased, value)?;
        out = Some(match out {
            Some(o) if all => o.and(e),
            Some(o) => o.or(e),
            None => e,
        });
    }
    // A null column never matches a value (polars' null would otherwise make `not` unknown).
    Ok(out.expect("values are not empty").fill_null(lit(false)))
}

/// Where a Sigma field lives in the lake.
#[derive(Debug, Clone, PartialEq)]
enum FieldColumn {
    Str(&'static str),
    Bool(&'static str),
    /// A path (possibly empty: the whole text) inside a JSON text column.
    Json(&'static str, Vec<String>),
}

const FIELDS: &[(&str, &str)] = &[
    ("eventID", "event_id"),
    ("eventSource", "event_source"),
    ("eventName", "event_name"),
    ("awsRegion", "aws_region"),
    ("sourceIPAddress", "source_ip"),
    ("userAgent", "user_agent"),
    ("errorCode", "error_code"),
    ("errorMessage", "error_message"),
    ("eventType", "event_type"),
    ("eventCategory", "event_category"),
    ("recipientAccountId", "recipient_account_id"),
    ("sharedEventID", "shared_event_id"),
    ("vpcEndpointId", "vpc_endpoint_id"),
    ("eventVersion", "event_version"),
    ("requestID", "request_id"),
    ("userIdentity.type", "identity_type"),
    ("userIdentity.arn", "identity_arn"),
    ("userIdentity.principalId", "principal_id"),
    ("userIdentity.accountId", "account_id"),
    ("userIdentity.accessKeyId", "access_key_id"),
    ("userIdentity.userName", "user_name"),
    ("userIdentity.invokedBy", "invoked_by"),
    ("userIdentity.sessionContext.sessionIssuer.arn", "session_issuer_arn"),
    ("userIdentity.sessionContext.sessionIssuer.type", "session_issuer_type"),
    ("userIdentity.sessionContext.sessionIssuer.userName", "session_issuer_name"),
    ("userIdentity.sessionContext.sourceIdentity", "source_identity"),
    ("userIdentity.sessionContext.ec2RoleDelivery", "ec2_role_delivery"),
];

const BOOL_FIELDS: &[(&str, &str)] = &[
    ("readOnly", "read_only"),
    ("managementEvent", "management_event"),
    ("userIdentity.sessionContext.attributes.mfaAuthenticated", "session_mfa"),
];

const JSON_FIELDS: &[(&str, &str)] = &[
    ("requestParameters", "request_parameters"),
    ("responseElements", "response_elements"),
    ("additionalEventData", "additional_event_data"),
    ("userIdentity", "user_identity"),
    ("resources", "resources"),
    ("tlsDetails", "tls_details"),
];

impl FieldColumn {
    fn of(field: &str) -> Result<FieldColumn, String> {
        if let Some((_, c)) = FIELDS.iter().find(|(f, _)| *f == field) {
            return Ok(FieldColumn::Str(c));
        }
        if let Some((_, c)) = BOOL_FIELDS.iter().find(|(f, _)| *f == field) {
            return Ok(FieldColumn::Bool(c));
        }
        for (prefix, c) in JSON_FIELDS {
            if field == *prefix {
                return Ok(FieldColumn::Json(c, Vec::new()));
            }
            if let Some(rest) = field.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) {
                return Ok(FieldColumn::Json(c, rest.split('.').map(str::to_owned).collect()));
            }
        }
        Err(format!("unknown CloudTrail field `{field}`"))
    }

    /// The column as text (a JSON path's value as its text; objects and arrays as JSON).
    fn expr(&self) -> Expr {
        match self {
            FieldColumn::Str(c) | FieldColumn::Bool(c) => col(*c),
            FieldColumn::Json(c, path) if path.is_empty() => col(*c),
            FieldColumn::Json(c, path) => {
                let path = path.clone();
                col(*c).map(
                    move |column: Column| {
                        let ca = column.str()?;
                        let out: StringChunked = ca.iter().map(|v| v.and_then(|text| json_path(text, &path))).collect();
                        Ok(out.with_name(column.name().clone()).into_column())
                    },
                    |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
                )
            }
        }
    }
}

/// The value at `path` in a JSON text: strings as they are, other scalars and containers as
/// JSON text; absent or null -> None.
pub fn json_path(text: &str, path: &[String]) -> Option<String> {
    let mut v: Json = serde_json::from_str(text).ok()?;
    for key in path {
        v = match v {
            Json::Object(mut m) => m.remove(key)?,
            _ => return None,
        };
    }
    match v {
        Json::Null => None,
        Json::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

fn value_match(column: &FieldColumn, op: Op, cased: bool, v: &Yaml) -> Result<Expr, String> {
    let text = match v {
        Yaml::Null => return Ok(column.expr().is_null()),
        Yaml::String(s) => s.clone(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Number(n) => n.to_string(),
        _ => return Err("a value is a list or a map".into()),
    };
    if let FieldColumn::Bool(c) = column {
        if op != Op::Equals {
            return Err(format!("{c} is true/false: only plain values match it"));
        }
        return match text.to_ascii_lowercase().as_str() {
            "true" => Ok(col(*c).eq(lit(true))),
            "false" => Ok(col(*c).eq(lit(false))),
            _ => Err(format!("`{text}` is not true or false")),
        };
    }
    if op == Op::Regex {
        regex_check(&text)?;
        return Ok(column.expr().str().contains(lit(text), true));
    }
    let (subject, text) =
        if cased { (column.expr(), text) } else { (column.expr().str().to_lowercase(), text.to_lowercase()) };
    let (has_wildcards, pieces) = split_wildcards(&text);
    if has_wildcards {
        let body = pieces;
        let re = match op {
            Op::Equals => format!("^{body}$"),
            Op::Contains => body,
            Op::StartsWith => format!("^{body}"),
            Op::EndsWith => format!("{body}$"),
            Op::Regex => unreachable!("handled above"),
        };
        return Ok(subject.str().contains(lit(format!("(?s){re}")), true));
    }
    let literal = unescape(&text);
    Ok(match op {
        Op::Equals => subject.eq(lit(literal)),
        Op::Contains => subject.str().contains_literal(lit(literal)),
        Op::StartsWith => subject.str().starts_with(lit(literal)),
        Op::EndsWith => subject.str().ends_with(lit(literal)),
        Op::Regex => unreachable!("handled above"),
    })
}

fn regex_check(re: &str) -> Result<(), String> {
    // polars compiles with the regex crate: a pattern it rejects would fail the whole scan.
    regex::Regex::new(re).map(|_| ()).map_err(|e| format!("bad regex `{re}`: {e}"))
}

/// Sigma wildcards (`*`, `?`; `\*`, `\?`, `\\` escaped) -> (any wildcard?, regex body).
fn split_wildcards(s: &str) -> (bool, String) {
    let mut out = String::new();
    let mut any = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('*' | '?' | '\\')) => {
                let n = chars.next().unwrap_or('\\');
                out.push_str(&regex_escape(n));
            }
            '*' => {
                any = true;
                out.push_str(".*");
            }
            '?' => {
                any = true;
                out.push('.');
            }
            other => out.push_str(&regex_escape(other)),
        }
    }
    (any, out)
}

fn regex_escape(c: char) -> String {
    if "\\.+*?()|[]{}^$#&-~".contains(c) {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && matches!(chars.peek(), Some('*' | '?' | '\\')) {
            out.push(chars.next().unwrap_or('\\'));
        } else {
            out.push(c);
        }
    }
    out
}

// ---- conditions ----

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    And,
    Or,
    Not,
    Open,
    Close,
    One,
    All,
    Of,
    Them,
    Pipe,
}

fn tokenize(c: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Tok>| {
        if word.is_empty() {
            return;
        }
        out.push(match word.to_ascii_lowercase().as_str() {
            "and" => Tok::And,
            "or" => Tok::Or,
            "not" => Tok::Not,
            "1" => Tok::One,
            "any" => Tok::One,
            "all" => Tok::All,
            "of" => Tok::Of,
            "them" => Tok::Them,
            _ => Tok::Ident(word.clone()),
        });
        word.clear();
    };
    for ch in c.chars() {
        match ch {
            '(' | ')' | '|' => {
                flush(&mut word, &mut out);
                out.push(match ch {
                    '(' => Tok::Open,
                    ')' => Tok::Close,
                    _ => Tok::Pipe,
                });
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    Ok(out)
}

fn compile_condition(c: &str, sel: &BTreeMap<String, Expr>) -> Result<Expr, String> {
    let toks = tokenize(c)?;
    if toks.contains(&Tok::Pipe) {
        return Err(format!("condition `{c}`: aggregations (`| count() ...`) are not supported"));
    }
    let mut p = Parser { toks: &toks, pos: 0, sel, text: c };
    let e = p.or()?;
    if p.pos != toks.len() {
        return Err(format!("condition `{c}`: unexpected {:?}", toks[p.pos]));
    }
    Ok(e)
}

struct Parser<'a> {
    toks: &'a [Tok],
    pos: usize,
    sel: &'a BTreeMap<String, Expr>,
    text: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn err(&self, what: &str) -> String {
        format!("condition `{}`: {what}", self.text)
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut e = self.and()?;
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            e = e.or(self.and()?);
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut e = self.not()?;
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            e = e.and(self.not()?);
        }
        Ok(e)
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.peek() == Some(&Tok::Not) {
            self.pos += 1;
            return Ok(self.not()?.not());
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let tok = self.peek().cloned().ok_or_else(|| self.err("ends too early"))?;
        self.pos += 1;
        match tok {
            Tok::Open => {
                let e = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(self.err("missing `)`"));
                }
                self.pos += 1;
                Ok(e)
            }
            Tok::One | Tok::All => {
                if self.peek() != Some(&Tok::Of) {
                    return Err(self.err("expected `of` after `1` / `all`"));
                }
                self.pos += 1;
                let target = self.peek().cloned().ok_or_else(|| self.err("`of` what?"))?;
                self.pos += 1;
                let names: Vec<&String> = match &target {
                    Tok::Them => self.sel.keys().filter(|k| !k.starts_with('_')).collect(),
                    Tok::Ident(pat) => self.sel.keys().filter(|k| glob(pat, k)).collect(),
                    other => return Err(self.err(&format!("unexpected {other:?} after `of`"))),
                };
                if names.is_empty() {
                    return Err(self.err(&format!("no selection matches {target:?}")));
                }
                let mut exprs = names.into_iter().map(|n| self.sel[n].clone());
                let first = exprs.next().expect("names are not empty");
                Ok(if tok == Tok::All { exprs.fold(first, |a, b| a.and(b)) } else { exprs.fold(first, |a, b| a.or(b)) })
            }
            Tok::Ident(name) => {
                self.sel.get(&name).cloned().ok_or_else(|| self.err(&format!("unknown selection `{name}`")))
            }
            other => Err(self.err(&format!("unexpected {other:?}"))),
        }
    }
}

/// `selection*` style patterns of `1 of` / `all of`.
fn glob(pat: &str, name: &str) -> bool {
    match pat.split_once('*') {
        None => pat == name,
        Some((pre, post)) => {
            name.starts_with(pre)
                && (pre.len()..=name.len()).any(|j| name.is_char_boundary(j) && glob(post, &name[j..]))
        }
    }
}

// ---- running ----

/// The event ids each rule matches in a frame of lake rows, per rule (index into `rules`).
pub fn matches(frame: LazyFrame, rules: &[SigmaRule]) -> anyhow::Result<Vec<Vec<String>>> {
    let mut out = vec![Vec::new(); rules.len()];
    if rules.is_empty() {
        return Ok(out);
    }
    let mut cols = vec![col("event_id")];
    cols.extend(rules.iter().enumerate().map(|(i, r)| r.expr.clone().fill_null(lit(false)).alias(format!("r{i}"))));
    let any = rules.iter().enumerate().map(|(i, _)| col(format!("r{i}"))).reduce(|a, b| a.or(b)).expect("rules");
    let df = frame.select(cols).filter(any).collect()?;
    let ids = df.column("event_id")?.str()?;
    for (i, list) in out.iter_mut().enumerate() {
        let hit = df.column(&format!("r{i}"))?.bool()?;
        for (id, h) in ids.iter().zip(hit.iter()) {
            if let (Some(id), Some(true)) = (id, h) {
                list.push(id.to_owned());
            }
        }
    }
    Ok(out)
}

/// The findings of the rules' matches: per rule and principal, matches at most `gap_ms` apart
/// are one finding (as the built-in rules group them). `events`: sorted by time then id.
pub fn findings(rules: &[SigmaRule], hits: &[Vec<String>], events: &[Event], gap_ms: i64) -> Vec<Finding> {
    let index: std::collections::HashMap<&str, usize> =
        events.iter().enumerate().map(|(i, e)| (e.event_id.as_str(), i)).collect();
    let mut out = Vec::new();
    for (rule, ids) in rules.iter().zip(hits) {
        let mut idx: Vec<usize> = ids.iter().filter_map(|id| index.get(id.as_str()).copied()).collect();
        idx.sort_unstable();
        idx.dedup();
        let mut by_principal: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
        for i in idx {
            by_principal.entry(events[i].principal()).or_default().push(i);
        }
        for (principal, list) in by_principal {
            let mut group: Vec<usize> = Vec::new();
            for i in list {
                if let Some(&last) = group.last() {
                    if events[i].time_ms - events[last].time_ms > gap_ms {
                        out.push(finding(rule, principal.as_deref(), events, &group));
                        group.clear();
                    }
                }
                group.push(i);
            }
            if !group.is_empty() {
                out.push(finding(rule, principal.as_deref(), events, &group));
            }
        }
    }
    out
}

fn finding(rule: &SigmaRule, principal: Option<&str>, events: &[Event], idx: &[usize]) -> Finding {
    let detector = format!("sigma.{}", rule.id);
    let (first, last) = (idx[0], idx[idx.len() - 1]);
    let mut evidence: Map<String, Json> = common_evidence(events, idx);
    evidence.insert("rule_id".into(), Json::from(rule.id.clone()));
    evidence.insert("rule_title".into(), Json::from(rule.title.clone()));
    evidence.insert("rule_file".into(), Json::from(rule.file.display().to_string()));
    evidence.insert("level".into(), Json::from(rule.level.clone()));
    evidence.insert("tags".into(), json_set(rule.tags.iter().map(String::as_str)));
    let sorted: BTreeMap<String, Json> = evidence.into_iter().collect();
    let actors: std::collections::BTreeSet<String> = idx.iter().filter_map(|&i| events[i].actor()).collect();
    Finding {
        id: stable_id(&detector, principal, &events[first].event_id),
        mitre: technique_of(&rule.tags).unwrap_or_default(),
        severity: severity_of(&rule.level).unwrap_or(Severity::Medium),
        principal: principal.map(str::to_owned),
        actor: (!actors.is_empty()).then(|| actors.into_iter().collect::<Vec<_>>().join(",")),
        first_seen: iso_time(events[first].time_ms),
        last_seen: iso_time(events[last].time_ms),
        summary: format!("Sigma: {} ({} event(s))", rule.title, idx.len()),
        event_ids: idx.iter().map(|&i| events[i].event_id.clone()).collect(),
        evidence: Json::Object(sorted.into_iter().collect()),
        incident_id: None,
        detector,
    }
}

/// The first ATT&CK technique tag (`attack.t1562.008` -> `T1562.008`).
fn technique_of(tags: &[String]) -> Option<String> {
    tags.iter().find_map(|t| {
        let rest = t.strip_prefix("attack.t")?;
        rest.chars().next().filter(char::is_ascii_digit)?;
        Some(format!("T{}", rest.to_ascii_uppercase()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lake-shaped rows: (id, source, name, user agent, identity type, read only, request,
    /// response, error code).
    fn frame() -> LazyFrame {
        let df = df!(
            "event_id" => ["a", "b", "c", "d", "e"],
            "event_source" => ["cloudtrail.amazonaws.com", "cloudtrail.amazonaws.com", "ec2.amazonaws.com", "signin.amazonaws.com", "iam.amazonaws.com"],
            "event_name" => ["StopLogging", "DescribeTrails", "DescribeInstanceAttribute", "ConsoleLogin", "AttachUserPolicy"],
            "user_agent" => [Some("aws-cli/1.16.0 Python/3.8 Linux/5.x kali"), Some("console.amazonaws.com"), Some("Boto3/1.34.0"), Some("Mozilla/5.0"), None],
            "identity_type" => ["IAMUser", "IAMUser", "AssumedRole", "IAMUser", "AssumedRole"],
            "read_only" => [false, true, true, false, false],
            "request_parameters" => [
                Some(r#"{"name":"management-events"}"#),
                None,
                Some(r#"{"instanceId":"i-1","attribute":"userData"}"#),
                None,
                Some(r#"{"userName":"support-ops","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess","nested":{"deep":"Value"}}"#),
            ],
            "response_elements" => [None, None, None, Some(r#"{"ConsoleLogin":"Success"}"#), None],
            "additional_event_data" => [None, None, None, Some(r#"{"MFAUsed":"No"}"#), None],
            "error_code" => [None, None, Some("Client.UnauthorizedOperation"), None, None],
        )
        .unwrap();
        df.lazy()
    }

    fn rule(detection: &str) -> Result<Option<SigmaRule>, String> {
        let text = format!(
            "title: T\nid: r-1\nlevel: high\ntags: [attack.defense_evasion, attack.t1562.008]\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n{detection}"
        );
        parse_rule(&text, Path::new("rules/t.yml"))
    }

    /// The ids a detection block matches in [`frame`].
    fn hits(detection: &str) -> Vec<String> {
        let r = rule(detection).unwrap_or_else(|e| panic!("{e}")).expect("a cloudtrail rule");
        matches(frame(), &[r]).unwrap().remove(0)
    }

    fn err(detection: &str) -> String {
        rule(detection).expect_err("unsupported")
    }

    #[test]
    fn plain_values_lists_and_case() {
        assert_eq!(hits("  sel:\n    eventName: stoplogging\n  condition: sel"), ["a"], "case-insensitive");
        assert_eq!(hits("  sel:\n    eventName: [StopLogging, ConsoleLogin]\n  condition: sel"), ["a", "d"]);
        assert_eq!(hits("  sel:\n    eventName: Describe*\n  condition: sel"), ["b", "c"], "wildcard");
        assert_eq!(hits("  sel:\n    eventName: Stop?ogging\n  condition: sel"), ["a"]);
        assert_eq!(hits("  sel:\n    errorCode: null\n    readOnly: false\n  condition: sel"), ["a", "d", "e"]);
        assert_eq!(hits("  sel:\n    readOnly: 'true'\n  condition: sel"), ["b", "c"]);
        // A list of maps is an or of the maps; fields of one map are an and.
        assert_eq!(
            hits("  sel:\n    - eventName: StopLogging\n      userIdentity.type: AssumedRole\n    - eventName: ConsoleLogin\n  condition: sel"),
            ["d"]
        );
    }

    #[test]
    fn modifiers() {
        assert_eq!(hits("  sel:\n    userAgent|contains: KALI\n  condition: sel"), ["a"]);
        assert_eq!(hits("  sel:\n    eventName|startswith: describe\n  condition: sel"), ["b", "c"]);
        assert_eq!(hits("  sel:\n    eventName|endswith: LOGIN\n  condition: sel"), ["d"]);
        assert_eq!(hits("  sel:\n    userAgent|contains|all: [aws-cli, kali]\n  condition: sel"), ["a"]);
        assert_eq!(
            hits("  sel:\n    userAgent|contains|all: [aws-cli, windows]\n  condition: sel"),
            Vec::<String>::new()
        );
        assert_eq!(hits("  sel:\n    userAgent|contains: [windows, boto3]\n  condition: sel"), ["c"]);
        // `re` is case-sensitive and unanchored, as in Sigma.
        assert_eq!(hits("  sel:\n    userAgent|re: 'aws-cli/1\\.1[0-6]\\.'\n  condition: sel"), ["a"]);
        assert_eq!(hits("  sel:\n    userAgent|re: 'AWS-CLI'\n  condition: sel"), Vec::<String>::new());
        assert_eq!(hits("  sel:\n    eventName|cased: stoplogging\n  condition: sel"), Vec::<String>::new());
        assert_eq!(hits("  sel:\n    userAgent|exists: false\n  condition: sel"), ["e"]);
    }

    #[test]
    fn json_fields() {
        assert_eq!(hits("  sel:\n    requestParameters.attribute: userData\n  condition: sel"), ["c"]);
        assert_eq!(
            hits("  sel:\n    requestParameters.policyArn|endswith: /AdministratorAccess\n  condition: sel"),
            ["e"]
        );
        assert_eq!(hits("  sel:\n    requestParameters.nested.deep: value\n  condition: sel"), ["e"]);
        assert_eq!(
            hits("  sel:\n    responseElements.ConsoleLogin: Success\n    additionalEventData.MFAUsed: 'No'\n  condition: sel"),
            ["d"]
        );
        // The whole JSON text, and a key that only appears as a value elsewhere.
        assert_eq!(hits("  sel:\n    requestParameters|contains: support-ops\n  condition: sel"), ["e"]);
        assert_eq!(hits("  sel:\n    requestParameters.userData: x\n  condition: sel"), Vec::<String>::new());
    }

    #[test]
    fn conditions() {
        let sels = "  sel_trail:\n    eventSource: cloudtrail.amazonaws.com\n  sel_write:\n    readOnly: false\n  filter:\n    userIdentity.type: AssumedRole\n";
        let c = |cond: &str| hits(&format!("{sels}  condition: {cond}"));
        assert_eq!(c("sel_trail and sel_write"), ["a"]);
        assert_eq!(c("sel_trail or sel_write"), ["a", "b", "d", "e"]);
        assert_eq!(c("sel_write and not filter"), ["a", "d"]);
        assert_eq!(c("not (sel_trail or filter)"), ["d"]);
        assert_eq!(c("1 of sel_*"), ["a", "b", "d", "e"]);
        assert_eq!(c("all of sel_*"), ["a"]);
        assert_eq!(c("1 of them"), ["a", "b", "c", "d", "e"]);
        assert_eq!(c("all of them"), Vec::<String>::new());
        assert_eq!(c("all of sel_* and not filter"), ["a"]);
        // A list of conditions is their or.
        assert_eq!(hits(&format!("{sels}  condition:\n    - sel_trail and sel_write\n    - filter")), ["a", "c", "e"]);
    }

    #[test]
    fn unsupported_constructs_are_named() {
        assert!(err("  sel:\n    eventName|base64offset: x\n  condition: sel")
            .contains("unsupported modifier `base64offset`"));
        assert!(err("  sel:\n    eventName: x\n  condition: sel | count() > 5").contains("aggregations"));
        assert!(err("  keywords:\n    - StopLogging\n  condition: keywords").contains("keyword lists"));
        assert!(err("  sel:\n    eventTimeX: x\n  condition: sel").contains("unknown CloudTrail field `eventTimeX`"));
        assert!(err("  sel:\n    eventName: x\n  condition: sel and other").contains("unknown selection `other`"));
        assert!(err("  sel:\n    eventName|re: '('\n  condition: sel").contains("bad regex"));
        assert!(err("  sel:\n    eventName: x\n  timeframe: 5m\n  condition: sel").contains("timeframe"));
        assert!(err("  sel:\n    eventName: x\n  condition: (sel").contains("missing `)`"));
        assert!(err("  sel:\n    readOnly|contains: x\n  condition: sel").contains("true/false"));
        let other = "title: T\nid: x\nlogsource:\n  product: windows\ndetection:\n  sel:\n    a: b\n  condition: sel\n";
        assert!(parse_rule(other, Path::new("w.yml")).unwrap().is_none(), "another log source: not ours");
    }

    #[test]
    fn a_folder_of_rules_skips_the_bad_ones_by_name() {
        let dir = std::env::temp_dir().join(format!("trailtrim-sigma-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let good = "title: Stop\nid: good-1\nlevel: high\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    eventName: StopLogging\n  condition: sel\n";
        std::fs::write(dir.join("good.yml"), good).unwrap();
        std::fs::write(dir.join("sub/bad.yaml"), good.replace("eventName:", "eventName|utf16:")).unwrap();
        std::fs::write(dir.join("broken.yml"), "title: [unclosed").unwrap();
        std::fs::write(
            dir.join("windows.yml"),
            "title: W\nid: w\nlogsource:\n  product: windows\ndetection:\n  s:\n    a: b\n  condition: s\n",
        )
        .unwrap();
        std::fs::write(dir.join("notes.txt"), "not a rule").unwrap();
        let set = load_dir(&dir).unwrap();
        assert_eq!(set.rules.len(), 1);
        assert_eq!(set.rules[0].id, "good-1");
        assert_eq!(set.other_logsource, 1);
        assert_eq!(set.skipped.len(), 2, "{:?}", set.skipped);
        assert!(set.skipped[0].contains("broken.yml") && set.skipped[0].contains("YAML"), "{:?}", set.skipped);
        assert!(set.skipped[1].contains("bad.yaml") && set.skipped[1].contains("`utf16`"), "{:?}", set.skipped);
        assert!(load_dir(&dir.join("missing")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn hits_become_findings_per_principal_and_gap() {
        let r = rule("  sel:\n    eventName: StopLogging\n  condition: sel").unwrap().unwrap();
        let ev = |id: &str, t: i64, user: &str| Event {
            event_id: id.into(),
            time_ms: t,
            event_name: "StopLogging".into(),
            identity_type: Some("IAMUser".into()),
            identity_arn: Some(format!("arn:aws:iam::111122223333:user/{user}")),
            user_name: Some(user.into()),
            ..Default::default()
        };
        let events = vec![
            ev("1", 0, "dave"),
            ev("2", 60_000, "dave"),
            ev("3", 120_000, "erin"),
            ev("4", 10 * 3_600_000, "dave"),
        ];
        let hits = vec![vec!["1".to_owned(), "2".into(), "3".into(), "4".into()]];
        let fs = findings(&[r], &hits, &events, 3_600_000);
        assert_eq!(fs.len(), 3);
        let dave = fs.iter().find(|f| f.event_ids == ["1", "2"]).unwrap();
        assert_eq!(dave.detector, "sigma.r-1");
        assert_eq!(dave.severity, Severity::High);
        assert_eq!(dave.mitre, "T1562.008");
        assert_eq!(dave.evidence["rule_title"], "T");
        assert_eq!(dave.evidence["tags"], serde_json::json!(["attack.defense_evasion", "attack.t1562.008"]));
        assert_eq!(super::super::incidents::tactic_of(dave), "defense-evasion");
    }
}
