//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, any context key,
//! the escapes `${*}`, `${?}`, `${$}`, and defaults `${key, 'default'}`.
//!
//! Variables are only recognised in policies with `Version: 2012-10-17`; in older or
//! version-less policies `${...}` is literal text. A variable whose key has no (single) value
//! in the request and no default cannot be resolved: the statement whose Resource, NotResource
//! or condition value contains it does not apply (AWS "IAM policy elements: Variables and
//! tags": "If the policy variable can't be resolved ... the entire statement might be
//! invalid"), so a NotResource with such a variable never applies to "everything else".

use super::matching::{tokenize, ArnGlob, Glob, Tok};

/// One piece of a value that may contain variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text as written; `*`/`?` in it are wildcards for the wildcard-aware operators.
    Text(String),
    /// A context-key variable (key lowercased) with an optional default.
    Var { key: String, default: Option<String> },
    /// `${*}`, `${?}`, `${$}`: a literal character (never a wildcard).
    Char(char),
}

/// A value from the policy, pre-split into text and variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub raw: String,
    pub parts: Vec<Part>,
}

/// Source of variable values (the request context).
pub trait Lookup {
    /// Values of a (lowercased) context key, if present.
    fn values(&self, key_lower: &str) -> Option<&[String]>;
}

impl Template {
    /// Parse `raw`; when `vars` is false the whole string is literal text.
    pub fn parse(raw: &str, vars: bool) -> Template {
        let parts = if vars && raw.contains("${") { parse_parts(raw) } else { vec![Part::Text(raw.to_string())] };
        Template { raw: raw.to_string(), parts }
    }

    /// True when no part depends on the request.
    pub fn is_static(&self) -> bool {
        !self.parts.iter().any(|p| matches!(p, Part::Var { .. }))
    }

    /// Lowercased keys of the variables without a default (those that can fail to resolve).
    pub fn variable_keys(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { key, default: None } => Some(key.as_str()),
            _ => None,
        })
    }

    /// Resolve to a plain string (for exact-comparison operators). None if a variable has no value.
    pub fn resolve_string(&self, ctx: &dyn Lookup) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Char(c) => out.push(*c),
                Part::Var { key, default } => out.push_str(&var_value(ctx, key, default)?),
            }
        }
        Some(out)
    }

    /// Resolve to wildcard tokens: wildcards only from the policy text, never from values.
    pub fn resolve_tokens(&self, ctx: &dyn Lookup) -> Option<Vec<Tok>> {
        let mut out = Vec::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.extend(tokenize(t)),
                Part::Char(c) => out.push(Tok::Lit(c.to_string())),
                Part::Var { key, default } => out.push(Tok::Lit(var_value(ctx, key, default)?)),
            }
        }
        Some(out)
    }

    /// Tokens for a static template (no context needed).
    fn static_tokens(&self) -> Vec<Tok> {
        struct Empty;
        impl Lookup for Empty {
            fn values(&self, _: &str) -> Option<&[String]> {
                None
            }
        }
        self.resolve_tokens(&Empty).unwrap_or_default()
    }
}

fn var_value(ctx: &dyn Lookup, key: &str, default: &Option<String>) -> Option<String> {
    // Multivalued keys cannot be used as variables; treat them like missing ones.
    match ctx.values(key) {
        Some([v]) => Some(v.clone()),
        _ => default.clone(),
    }
}

/// Split text into parts at `${...}`. An unterminated `${` stays literal text.
fn parse_parts(raw: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = raw;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = find_var_end(after) else {
            break;
        };
        text.push_str(&rest[..start]);
        let inner = &after[..end];
        match parse_var(inner) {
            Some(p) => {
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(p);
            }
            None => {
                text.push_str("${");
                text.push_str(inner);
                text.push('}');
            }
        }
        rest = &after[end + 1..];
    }
    text.push_str(rest);
    if !text.is_empty() || parts.is_empty() {
        parts.push(Part::Text(text));
    }
    parts
}

/// Index of the closing `}` of a variable body, skipping braces inside a quoted default.
fn find_var_end(s: &str) -> Option<usize> {
    let mut in_quote = false;
    for (i, c) in s.char_indices() {
        match c {
            '\'' => in_quote = !in_quote,
            '}' if !in_quote => return Some(i),
            _ => {}
        }
    }
    None
}

fn parse_var(inner: &str) -> Option<Part> {
    let trimmed = inner.trim();
    match trimmed {
        "*" => return Some(Part::Char('*')),
        "?" => return Some(Part::Char('?')),
        "$" => return Some(Part::Char('$')),
        "" => return None,
        _ => {}
    }
    let (key, default) = match trimmed.split_once(',') {
        Some((k, d)) => {
            let d = d.trim();
            if d.len() < 2 || !d.starts_with('\'') || !d.ends_with('\'') {
                return None;
            }
            // '' inside a default is an escaped single quote.
            (k.trim(), Some(d[1..d.len() - 1].replace("''", "'")))
        }
        None => (trimmed, None),
    };
    if key.is_empty() || key.contains(char::is_whitespace) {
        return None;
    }
    Some(Part::Var { key: key.to_ascii_lowercase(), default })
}

/// A resource pattern (Resource/NotResource entry), compiled when it has no variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePattern {
    pub template: Template,
    compiled: Option<ArnGlob>,
}

impl ResourcePattern {
    pub fn new(raw: &str, vars: bool) -> ResourcePattern {
        let template = Template::parse(raw, vars);
        let compiled = template.is_static().then(|| ArnGlob::from_tokens(template.static_tokens()));
        ResourcePattern { template, compiled }
    }

    pub fn raw(&self) -> &str {
        &self.template.raw
    }

    /// Match a resource ARN; variables resolve against `ctx` (unresolvable: no match).
    pub fn matches(&self, resource: &str, ctx: &dyn Lookup) -> bool {
        self.try_matches(resource, ctx).unwrap_or(false)
    }

    /// Like [`matches`](Self::matches), but None when a variable cannot be resolved, so that
    /// the statement can be taken not to apply at all (a NotResource must not match
    /// "everything else" then).
    pub fn try_matches(&self, resource: &str, ctx: &dyn Lookup) -> Option<bool> {
        match &self.compiled {
            Some(g) => Some(g.is_match(resource)),
            None => self.template.resolve_tokens(ctx).map(|toks| ArnGlob::from_tokens(toks).is_match(resource)),
        }
    }

    /// The compiled pattern when static (used by the access analysis).
    pub fn static_glob(&self) -> Option<&ArnGlob> {
        self.compiled.as_ref()
    }
}

/// A string pattern for StringLike-style operators, compiled when static.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringPattern {
    pub template: Template,
    compiled: Option<Glob>,
}

impl StringPattern {
    pub fn new(template: Template) -> StringPattern {
        let compiled = template.is_static().then(|| Glob::from_tokens(template.static_tokens()));
        StringPattern { template, compiled }
    }

    pub fn glob(&self, ctx: &dyn Lookup) -> Option<Glob> {
        match &self.compiled {
            Some(g) => Some(g.clone()),
            None => self.template.resolve_tokens(ctx).map(Glob::from_tokens),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Map(BTreeMap<String, Vec<String>>);
    impl Lookup for Map {
        fn values(&self, k: &str) -> Option<&[String]> {
            self.0.get(k).map(|v| v.as_slice())
        }
    }
    fn ctx(pairs: &[(&str, &str)]) -> Map {
        Map(pairs.iter().map(|(k, v)| (k.to_ascii_lowercase(), vec![v.to_string()])).collect())
    }

    #[test]
    fn parse_and_resolve() {
        let t = Template::parse("home/${aws:username}/*", true);
        assert_eq!(t.parts.len(), 3);
        let c = ctx(&[("aws:username", "bob")]);
        assert_eq!(t.resolve_string(&c).unwrap(), "home/bob/*");
        assert!(t.resolve_string(&ctx(&[])).is_none());
        let d = Template::parse("${aws:username, 'nobody'}", true);
        assert_eq!(d.resolve_string(&ctx(&[])).unwrap(), "nobody");
        let q = Template::parse("${x, 'it''s'}", true);
        assert_eq!(q.resolve_string(&ctx(&[])).unwrap(), "it's");
        let lit = Template::parse("a${*}b${?}${$}", true);
        assert_eq!(lit.resolve_string(&ctx(&[])).unwrap(), "a*b?$");
        let nov = Template::parse("${aws:username}", false);
        assert_eq!(nov.resolve_string(&ctx(&[])).unwrap(), "${aws:username}");
        let unterminated = Template::parse("a${b", true);
        assert_eq!(unterminated.resolve_string(&ctx(&[])).unwrap(), "a${b");
    }

    #[test]
    fn literal_star_is_not_a_wildcard() {
        let p = ResourcePattern::new("arn:aws:s3:::b/${*}", true);
        assert!(p.matches("arn:aws:s3:::b/*", &ctx(&[])));
        assert!(!p.matches("arn:aws:s3:::b/x", &ctx(&[])));
        // a value containing `*` is literal too
        let p = ResourcePattern::new("arn:aws:s3:::b/${aws:username}", true);
        assert!(!p.matches("arn:aws:s3:::b/x", &ctx(&[("aws:username", "*")])));
    }
}
