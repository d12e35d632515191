//! Condition operators and their evaluation against a request context.
//!
//! Semantics (AWS "IAM JSON policy elements: Condition operators" and "Conditions with
//! multiple context keys or values"):
//! - several operators in a block, and several keys under one operator: AND;
//! - several policy values for one key: OR; for a negated operator (`StringNotEquals`,
//!   `NotIpAddress`, `ArnNotLike`, ...): NOR (the request value must match none of them);
//! - key absent: false, except negated operators (true), `...IfExists` (true),
//!   `ForAllValues:` (true, vacuously), `ForAnyValue:` (false) and `Null` (its own test);
//! - a key present with an empty list of values counts as absent;
//! - without a set qualifier a multivalued request key is treated like `ForAnyValue` for a
//!   positive operator, and as its exact negation for a negated operator (true only if no
//!   request value matches any policy value);
//! - `ForAllValues:` every request value must satisfy the operator; `ForAnyValue:` at least one;
//!   for negated operators "satisfy" is per value (`ForAllValues:StringNotLike` = no request
//!   value is like any policy value);
//! - a request value that cannot be read as the operator's type (a number, a date, an IP)
//!   satisfies neither the operator nor its negation;
//! - a policy value whose variable cannot be resolved makes the condition false whatever the
//!   operator, so the statement does not apply (AWS "IAM policy elements: Variables and tags");
//! - a policy value that cannot be read as the operator's type (an invalid IP under
//!   `NotIpAddress`, a date that is not one) makes the condition false: it does not match,
//!   as AWS evaluates it; [`Condition::problems`] names it so validation reports the policy.
//!
//! Three-valued evaluation ([`Condition::truth`]): a caller that knows some keys cannot be in its
//! context (CloudTrail does not record resource tags, for instance) names them, and a condition
//! on such a key that the context lacks is [`Truth::Unknown`] whatever its operator, since the
//! real request may have carried any value or none.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use super::matching::{ArnGlob, Glob};
use super::variables::{Lookup, StringPattern, Template};

/// The operator without qualifier and `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BaseOp {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const ALL_OPS: [BaseOp; 27] = [
    BaseOp::StringEquals,
    BaseOp::StringNotEquals,
    BaseOp::StringEqualsIgnoreCase,
    BaseOp::StringNotEqualsIgnoreCase,
    BaseOp::StringLike,
    BaseOp::StringNotLike,
    BaseOp::NumericEquals,
    BaseOp::NumericNotEquals,
    BaseOp::NumericLessThan,
    BaseOp::NumericLessThanEquals,
    BaseOp::NumericGreaterThan,
    BaseOp::NumericGreaterThanEquals,
    BaseOp::DateEquals,
    BaseOp::DateNotEquals,
    BaseOp::DateLessThan,
    BaseOp::DateLessThanEquals,
    BaseOp::DateGreaterThan,
    BaseOp::DateGreaterThanEquals,
    BaseOp::Bool,
    BaseOp::BinaryEquals,
    BaseOp::IpAddress,
    BaseOp::NotIpAddress,
    BaseOp::ArnEquals,
    BaseOp::ArnLike,
    BaseOp::ArnNotEquals,
    BaseOp::ArnNotLike,
    BaseOp::Null,
];

impl BaseOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BaseOp::StringEquals => "StringEquals",
            BaseOp::StringNotEquals => "StringNotEquals",
            BaseOp::StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            BaseOp::StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            BaseOp::StringLike => "StringLike",
            BaseOp::StringNotLike => "StringNotLike",
            BaseOp::NumericEquals => "NumericEquals",
            BaseOp::NumericNotEquals => "NumericNotEquals",
            BaseOp::NumericLessThan => "NumericLessThan",
            BaseOp::NumericLessThanEquals => "NumericLessThanEquals",
            BaseOp::NumericGreaterThan => "NumericGreaterThan",
            BaseOp::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            BaseOp::DateEquals => "DateEquals",
            BaseOp::DateNotEquals => "DateNotEquals",
            BaseOp::DateLessThan => "DateLessThan",
            BaseOp::DateLessThanEquals => "DateLessThanEquals",
            BaseOp::DateGreaterThan => "DateGreaterThan",
            BaseOp::DateGreaterThanEquals => "DateGreaterThanEquals",
            BaseOp::Bool => "Bool",
            BaseOp::BinaryEquals => "BinaryEquals",
            BaseOp::IpAddress => "IpAddress",
            BaseOp::NotIpAddress => "NotIpAddress",
            BaseOp::ArnEquals => "ArnEquals",
            BaseOp::ArnLike => "ArnLike",
            BaseOp::ArnNotEquals => "ArnNotEquals",
            BaseOp::ArnNotLike => "ArnNotLike",
            BaseOp::Null => "Null",
        }
    }

    /// Negated matching operators: multiple values are NOR, an absent key is true.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            BaseOp::StringNotEquals
                | BaseOp::StringNotEqualsIgnoreCase
                | BaseOp::StringNotLike
                | BaseOp::NumericNotEquals
                | BaseOp::DateNotEquals
                | BaseOp::NotIpAddress
                | BaseOp::ArnNotEquals
                | BaseOp::ArnNotLike
        )
    }

    fn kind(self) -> ValueKind {
        use BaseOp::*;
        match self {
            StringEquals | StringNotEquals => ValueKind::Str,
            StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => ValueKind::StrIgnoreCase,
            StringLike | StringNotLike => ValueKind::Like,
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => ValueKind::Num,
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => ValueKind::Date,
            Bool => ValueKind::Bool,
            BinaryEquals => ValueKind::Binary,
            IpAddress | NotIpAddress => ValueKind::Ip,
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => ValueKind::Arn,
            Null => ValueKind::Null,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueKind {
    Str,
    StrIgnoreCase,
    Like,
    Num,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

/// `ForAllValues:` / `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SetQualifier {
    ForAllValues,
    ForAnyValue,
}

/// A full condition operator, e.g. `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Operator {
    pub qualifier: Option<SetQualifier>,
    pub base: BaseOp,
    pub if_exists: bool,
}

impl Operator {
    /// Parse an operator name (case-insensitive). Err carries the reason.
    pub fn parse(name: &str) -> Result<Operator, String> {
        let lower = name.to_ascii_lowercase();
        let (qualifier, rest) = if let Some(r) = lower.strip_prefix("forallvalues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else if let Some(r) = lower.strip_prefix("foranyvalue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else {
            (None, lower.as_str())
        };
        let find = |s: &str| ALL_OPS.iter().copied().find(|op| op.as_str().eq_ignore_ascii_case(s));
        let (base, if_exists) = match find(rest) {
            Some(b) => (b, false),
            None => match rest.strip_suffix("ifexists").and_then(find) {
                Some(b) => (b, true),
                None => return Err(format!("unknown condition operator \"{name}\"")),
            },
        };
        if base == BaseOp::Null && if_exists {
            return Err(format!("condition operator \"{name}\": IfExists cannot be used with Null"));
        }
        Ok(Operator { qualifier, base, if_exists })
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.qualifier {
            Some(SetQualifier::ForAllValues) => f.write_str("ForAllValues:")?,
            Some(SetQualifier::ForAnyValue) => f.write_str("ForAnyValue:")?,
            None => {}
        }
        f.write_str(self.base.as_str())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// Truth of a condition (or a conjunction of them) when some keys cannot be known.
/// Ordered so that a conjunction is the minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Truth {
    False,
    Unknown,
    True,
}

impl From<bool> for Truth {
    fn from(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }
}

/// A predicate on lowercased context keys: true for keys the caller's context cannot carry.
pub type UnknownKeys<'a> = &'a dyn Fn(&str) -> bool;

/// A policy value compiled for its operator.
#[derive(Debug, Clone, PartialEq)]
enum PolicyValue {
    Str(Template),
    Like(StringPattern),
    Arn(Template, Option<ArnGlob>),
    Num(f64),
    Date(i64),
    Bool(Template),
    Binary(Vec<u8>),
    Ip(IpNet),
    Null(bool),
    /// A value of the wrong type for the operator (the reason names it).
    Invalid(String),
}

/// One operator/key pair of a Condition block with its policy values.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub operator: Operator,
    /// The context key as written in the policy.
    pub key: String,
    key_lower: String,
    /// The values as written (numbers and booleans rendered as strings).
    pub values: Vec<String>,
    compiled: Vec<PolicyValue>,
    /// Some value contains a policy variable.
    has_vars: bool,
    /// Some value cannot be read as the operator's type: the condition never matches.
    invalid: bool,
}

impl Condition {
    /// Build and validate one condition; `vars` enables policy variables in values.
    pub fn new(operator: Operator, key: &str, values: Vec<String>, vars: bool) -> Result<Condition, String> {
        let kind = operator.base.kind();
        let mut compiled = Vec::with_capacity(values.len());
        for v in &values {
            let bad = |what: &str| PolicyValue::Invalid(format!("{operator} {key}: invalid {what} value \"{v}\""));
            compiled.push(match kind {
                ValueKind::Str | ValueKind::StrIgnoreCase => PolicyValue::Str(Template::parse(v, vars)),
                ValueKind::Like => PolicyValue::Like(StringPattern::new(Template::parse(v, vars))),
                ValueKind::Arn => {
                    let t = Template::parse(v, vars);
                    // Static values compile once; `${*}` escapes stay literal via the tokens.
                    let g = t.is_static().then(|| ArnGlob::from_tokens(t.resolve_tokens(&NoCtx).unwrap_or_default()));
                    PolicyValue::Arn(t, g)
                }
                ValueKind::Num => v.trim().parse::<f64>().map_or_else(|_| bad("numeric"), PolicyValue::Num),
                ValueKind::Date => crate::time::parse_ms(v).map_or_else(|| bad("date"), PolicyValue::Date),
                ValueKind::Bool => PolicyValue::Bool(Template::parse(v, vars)),
                ValueKind::Binary => base64_decode(v).map_or_else(|| bad("base64"), PolicyValue::Binary),
                ValueKind::Ip => parse_ip_net(v).map_or_else(|| bad("IP address/CIDR"), PolicyValue::Ip),
                ValueKind::Null => match v.to_ascii_lowercase().as_str() {
                    "true" => PolicyValue::Null(true),
                    "false" => PolicyValue::Null(false),
                    _ => {
                        return Err(format!("{operator} {key}: Null value must be \"true\" or \"false\", got \"{v}\""))
                    }
                },
            });
        }
        let has_vars = compiled.iter().any(|v| v.template().is_some_and(|t| !t.is_static()));
        let invalid = compiled.iter().any(|v| matches!(v, PolicyValue::Invalid(_)));
        Ok(Condition {
            operator,
            key: key.to_string(),
            key_lower: key.to_ascii_lowercase(),
            values,
            compiled,
            has_vars,
            invalid,
        })
    }

    /// Why the condition can never match as written (values of the wrong type), for validation.
    pub fn problems(&self) -> Vec<&str> {
        self.compiled
            .iter()
            .filter_map(|v| match v {
                PolicyValue::Invalid(reason) => Some(reason.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Lowercased keys of the variables in the values that `ctx` cannot resolve.
    fn unresolved_variables(&self, ctx: &dyn Lookup) -> Vec<&str> {
        if !self.has_vars {
            return Vec::new();
        }
        self.compiled
            .iter()
            .filter_map(PolicyValue::template)
            .filter(|t| t.resolve_string(ctx).is_none())
            .flat_map(|t| t.variable_keys())
            .collect()
    }

    /// Evaluate against the request context.
    pub fn matches(&self, ctx: &dyn Lookup) -> bool {
        if self.invalid || !self.unresolved_variables(ctx).is_empty() {
            return false;
        }
        let present = ctx.values(&self.key_lower).filter(|v| !v.is_empty());
        let op = self.operator;
        if op.base == BaseOp::Null {
            // `Null: true` means "the key is absent"; several values are OR'ed.
            return self.compiled.iter().any(|v| matches!(v, PolicyValue::Null(want) if *want != present.is_some()));
        }
        let Some(request_values) = present else {
            if op.if_exists {
                return true;
            }
            return match op.qualifier {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => op.base.is_negated(),
            };
        };
        let resolved = self.resolve(ctx);
        let all_resolved = resolved.iter().all(Option::is_some);
        let negated = op.base.is_negated();
        // Per request value: does it match some policy value (positive form)? None = incomparable.
        let positive = |rv: &str| -> Option<bool> {
            let mut any_comparable = false;
            for pv in resolved.iter().flatten() {
                match compare(op.base, pv, rv) {
                    Some(true) => return Some(true),
                    Some(false) => any_comparable = true,
                    None => {}
                }
            }
            // No comparable value and nothing matched: for a negated operator this is not a
            // "does not match" answer we can trust.
            if any_comparable || resolved.is_empty() {
                Some(false)
            } else {
                None
            }
        };
        let satisfies = |rv: &str| -> bool {
            if negated {
                all_resolved && positive(rv) == Some(false)
            } else {
                positive(rv) == Some(true)
            }
        };
        match op.qualifier {
            Some(SetQualifier::ForAllValues) => request_values.iter().all(|rv| satisfies(rv)),
            Some(SetQualifier::ForAnyValue) => request_values.iter().any(|rv| satisfies(rv)),
            None if negated => request_values.iter().all(|rv| satisfies(rv)),
            None => request_values.iter().any(|rv| satisfies(rv)),
        }
    }

    /// Three-valued [`matches`](Self::matches): Unknown when the key is absent from `ctx` (or
    /// empty) and `unknown` says the context could not have carried it.
    pub fn truth(&self, ctx: &dyn Lookup, unknown: UnknownKeys) -> Truth {
        let absent = ctx.values(&self.key_lower).is_none_or(|v| v.is_empty());
        if absent && unknown(&self.key_lower) {
            return Truth::Unknown;
        }
        // A variable the context could not have carried may have resolved in the real request.
        let unresolved = self.unresolved_variables(ctx);
        if !unresolved.is_empty() && !self.invalid && unresolved.iter().all(|k| unknown(k)) {
            return Truth::Unknown;
        }
        self.matches(ctx).into()
    }

    fn resolve(&self, ctx: &dyn Lookup) -> Vec<Option<Resolved>> {
        self.compiled
            .iter()
            .map(|v| match v {
                PolicyValue::Str(t) | PolicyValue::Bool(t) => t.resolve_string(ctx).map(Resolved::Str),
                PolicyValue::Like(p) => p.glob(ctx).map(Resolved::Glob),
                PolicyValue::Arn(t, g) => match g {
                    Some(g) => Some(Resolved::Arn(g.clone())),
                    None => t.resolve_tokens(ctx).map(|toks| Resolved::Arn(ArnGlob::from_tokens(toks))),
                },
                PolicyValue::Num(n) => Some(Resolved::Num(*n)),
                PolicyValue::Date(d) => Some(Resolved::Date(*d)),
                PolicyValue::Binary(b) => Some(Resolved::Binary(b.clone())),
                PolicyValue::Ip(n) => Some(Resolved::Ip(*n)),
                PolicyValue::Null(b) => Some(Resolved::Str(b.to_string())),
                PolicyValue::Invalid(_) => None,
            })
            .collect()
    }

    /// The context key, lowercased (keys are case-insensitive).
    pub fn key_lower(&self) -> &str {
        &self.key_lower
    }
}

impl PolicyValue {
    fn template(&self) -> Option<&Template> {
        match self {
            PolicyValue::Str(t) | PolicyValue::Bool(t) | PolicyValue::Arn(t, _) => Some(t),
            PolicyValue::Like(p) => Some(&p.template),
            _ => None,
        }
    }
}

struct NoCtx;
impl Lookup for NoCtx {
    fn values(&self, _: &str) -> Option<&[String]> {
        None
    }
}

enum Resolved {
    Str(String),
    Glob(Glob),
    Arn(ArnGlob),
    Num(f64),
    Date(i64),
    Binary(Vec<u8>),
    Ip(IpNet),
}

/// Compare one policy value with one request value in the operator's positive form
/// (e.g. `StringNotEquals` compares for equality). None when the request value is not of the
/// operator's type.
fn compare(base: BaseOp, pv: &Resolved, rv: &str) -> Option<bool> {
    use BaseOp::*;
    match (base, pv) {
        (StringEquals | StringNotEquals, Resolved::Str(p)) => Some(p == rv),
        (StringEqualsIgnoreCase | StringNotEqualsIgnoreCase, Resolved::Str(p)) => {
            Some(p.to_lowercase() == rv.to_lowercase())
        }
        (StringLike | StringNotLike, Resolved::Glob(g)) => Some(g.is_match(rv)),
        (Bool, Resolved::Str(p)) => Some(p.eq_ignore_ascii_case(rv.trim())),
        (_, Resolved::Arn(g)) => Some(g.is_match(rv)),
        (_, Resolved::Num(p)) => {
            let r: f64 = rv.trim().parse().ok()?;
            Some(match base {
                NumericEquals | NumericNotEquals => r == *p,
                NumericLessThan => r < *p,
                NumericLessThanEquals => r <= *p,
                NumericGreaterThan => r > *p,
                _ => r >= *p,
            })
        }
        (_, Resolved::Date(p)) => {
            let r = crate::time::parse_ms(rv)?;
            Some(match base {
                DateEquals | DateNotEquals => r == *p,
                DateLessThan => r < *p,
                DateLessThanEquals => r <= *p,
                DateGreaterThan => r > *p,
                _ => r >= *p,
            })
        }
        (_, Resolved::Binary(p)) => match base64_decode(rv) {
            Some(r) => Some(r == *p),
            None => Some(rv.as_bytes() == p.as_slice()),
        },
        (_, Resolved::Ip(net)) => {
            let addr = parse_ip_net(rv)?.addr();
            Some(net.contains(&addr))
        }
        _ => None,
    }
}

/// An address or CIDR; a bare address becomes a host network (/32 or /128).
pub fn parse_ip_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    if let Ok(n) = s.parse::<IpNet>() {
        // Normalise `10.1.2.3/24` to its network so `contains` behaves.
        return Some(n.trunc());
    }
    s.parse::<IpAddr>().ok().map(IpNet::from)
}

/// Standard base64 (with or without padding); None if malformed.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if bits >= 6 {
        return None; // a single dangling sextet is not valid base64
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        let op = Operator::parse("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(op.qualifier, Some(SetQualifier::ForAnyValue));
        assert_eq!(op.base, BaseOp::StringLike);
        assert!(op.if_exists);
        assert_eq!(op.to_string(), "ForAnyValue:StringLikeIfExists");
        assert_eq!(Operator::parse("stringequals").unwrap().base, BaseOp::StringEquals);
        assert!(Operator::parse("StringEqualz").is_err());
        assert!(Operator::parse("NullIfExists").is_err());
        assert!(Operator::parse("ForSomeValues:StringLike").is_err());
    }

    #[test]
    fn base64() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8").unwrap(), b"hello");
        assert!(base64_decode("a!").is_none());
    }

    #[test]
    fn ip() {
        let n = parse_ip_net("203.0.113.0/24").unwrap();
        assert!(n.contains(&"203.0.113.9".parse::<IpAddr>().unwrap()));
        let n = parse_ip_net("2001:db8::/32").unwrap();
        assert!(n.contains(&"2001:db8::1".parse::<IpAddr>().unwrap()));
        assert!(parse_ip_net("10.0.0.1").is_some());
        assert!(parse_ip_net("nope").is_none());
    }
}
