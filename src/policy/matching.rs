//! Wildcard matching for actions, ARNs and strings, and the principal-element matcher.
//!
//! IAM wildcards are `*` (any run of characters, including none) and `?` (exactly one
//! character). Actions match case-insensitively (callers lowercase both sides); ARNs and
//! condition strings match case-sensitively.

/// One token of a compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    Lit(String),
    Star,
    One,
}

/// A compiled wildcard pattern with fast paths for the common shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Glob {
    /// `*`: matches everything.
    Any,
    /// No wildcard at all.
    Exact(String),
    /// `literal*`.
    Prefix(String),
    /// Anything else.
    General(Vec<Tok>),
}

impl Glob {
    /// Compile a pattern where `*` and `?` are wildcards.
    pub fn new(pattern: &str) -> Glob {
        Glob::from_tokens(tokenize(pattern))
    }

    /// Compile already tokenised input (used when variables produced literal `*`/`?`).
    pub fn from_tokens(toks: Vec<Tok>) -> Glob {
        let toks = normalize(toks);
        match toks.as_slice() {
            [] => Glob::Exact(String::new()),
            [Tok::Star] => Glob::Any,
            [Tok::Lit(s)] => Glob::Exact(s.clone()),
            [Tok::Lit(s), Tok::Star] => Glob::Prefix(s.clone()),
            _ => Glob::General(toks),
        }
    }

    /// A pattern that matches only this exact text (no wildcards).
    pub fn literal(s: &str) -> Glob {
        Glob::Exact(s.to_string())
    }

    pub fn is_match(&self, text: &str) -> bool {
        match self {
            Glob::Any => true,
            Glob::Exact(s) => s == text,
            Glob::Prefix(p) => text.starts_with(p.as_str()),
            Glob::General(toks) => match_tokens(toks, text),
        }
    }
}

/// Split a pattern string into tokens; `*` and `?` are wildcards.
pub fn tokenize(pattern: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut lit = String::new();
    for c in pattern.chars() {
        match c {
            '*' | '?' => {
                if !lit.is_empty() {
                    out.push(Tok::Lit(std::mem::take(&mut lit)));
                }
                out.push(if c == '*' { Tok::Star } else { Tok::One });
            }
            _ => lit.push(c),
        }
    }
    if !lit.is_empty() {
        out.push(Tok::Lit(lit));
    }
    out
}

/// Merge adjacent literals and collapse runs of stars (they are equivalent to one).
fn normalize(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    for t in toks {
        match (out.last_mut(), t) {
            (Some(Tok::Lit(prev)), Tok::Lit(s)) => prev.push_str(&s),
            (Some(Tok::Star), Tok::Star) => {}
            (_, Tok::Lit(s)) if s.is_empty() => {}
            (_, t) => out.push(t),
        }
    }
    out
}

fn char_len(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// Classic iterative wildcard matching with single-star backtracking (linear-ish, no recursion).
fn match_tokens(toks: &[Tok], text: &str) -> bool {
    let t = text.as_bytes();
    let (mut ti, mut pi) = (0usize, 0usize);
    // (token index after the star, text index where the star's match ends)
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        if pi < toks.len() {
            match &toks[pi] {
                Tok::Star => {
                    backtrack = Some((pi + 1, ti));
                    pi += 1;
                    continue;
                }
                Tok::One => {
                    if ti < t.len() {
                        ti += char_len(t[ti]);
                        pi += 1;
                        continue;
                    }
                }
                Tok::Lit(s) => {
                    if t[ti..].starts_with(s.as_bytes()) {
                        ti += s.len();
                        pi += 1;
                        continue;
                    }
                }
            }
        } else if ti == t.len() {
            return true;
        }
        // Mismatch: let the last star absorb one more character.
        match backtrack {
            Some((bp, bt)) if bt < t.len() => {
                let nt = bt + char_len(t[bt]);
                backtrack = Some((bp, nt));
                pi = bp;
                ti = nt;
            }
            _ => return false,
        }
    }
}

/// A compiled action pattern (`service:Name*`), matched case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionPattern {
    /// The pattern as written in the policy.
    pub raw: String,
    /// Lowercased service prefix when it has no wildcard (index key); None for `*` or `s*:...`.
    pub service: Option<String>,
    /// Matcher on the lowercased action name part (or the whole action when `service` is None).
    pub name: Glob,
}

impl ActionPattern {
    pub fn new(raw: &str) -> ActionPattern {
        let lower = raw.to_ascii_lowercase();
        match lower.split_once(':') {
            Some((svc, name)) if !svc.contains(['*', '?']) => {
                ActionPattern { raw: raw.to_string(), service: Some(svc.to_string()), name: Glob::new(name) }
            }
            _ => ActionPattern { raw: raw.to_string(), service: None, name: Glob::new(&lower) },
        }
    }

    /// Match an action that is already lowercased (`s3:getobject`).
    pub fn matches_lower(&self, action_lower: &str) -> bool {
        match &self.service {
            Some(svc) => match action_lower.split_once(':') {
                Some((s, n)) => s == svc && self.name.is_match(n),
                None => false,
            },
            None => self.name.is_match(action_lower),
        }
    }

    /// Match an action in any case.
    pub fn matches(&self, action: &str) -> bool {
        self.matches_lower(&action.to_ascii_lowercase())
    }
}

/// A compiled ARN pattern: segment-wise when it has the ARN shape, else a whole-string glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnGlob {
    /// Five fixed segments matched separately (a `*` there does not cross a colon), and the
    /// resource part where `*` matches anything, including `/` and `:`.
    Segments(Box<[Glob; 6]>),
    /// Not ARN-shaped (e.g. `*`): matched as one string.
    Whole(Glob),
}

impl ArnGlob {
    pub fn new(pattern: &str) -> ArnGlob {
        ArnGlob::from_tokens(tokenize(pattern))
    }

    /// Build from tokens, splitting literal parts on the first five colons.
    pub fn from_tokens(toks: Vec<Tok>) -> ArnGlob {
        let mut segs: Vec<Vec<Tok>> = vec![Vec::new()];
        for t in toks.iter() {
            match t {
                Tok::Lit(s) if segs.len() < 6 && s.contains(':') => {
                    let mut rest = s.as_str();
                    while segs.len() < 6 {
                        match rest.split_once(':') {
                            Some((head, tail)) => {
                                if !head.is_empty() {
                                    segs.last_mut().unwrap().push(Tok::Lit(head.to_string()));
                                }
                                segs.push(Vec::new());
                                rest = tail;
                            }
                            None => break,
                        }
                    }
                    if !rest.is_empty() {
                        segs.last_mut().unwrap().push(Tok::Lit(rest.to_string()));
                    }
                }
                other => segs.last_mut().unwrap().push(other.clone()),
            }
        }
        if segs.len() == 6 {
            let mut it = segs.into_iter().map(Glob::from_tokens);
            let arr = [
                it.next().unwrap(),
                it.next().unwrap(),
                it.next().unwrap(),
                it.next().unwrap(),
                it.next().unwrap(),
                it.next().unwrap(),
            ];
            ArnGlob::Segments(Box::new(arr))
        } else {
            ArnGlob::Whole(Glob::from_tokens(toks))
        }
    }

    pub fn is_match(&self, value: &str) -> bool {
        match self {
            ArnGlob::Whole(g) => g.is_match(value),
            ArnGlob::Segments(segs) => match crate::arn::fields(value) {
                Some(parts) => segs.iter().zip(parts.iter()).all(|(g, p)| g.is_match(p)),
                None => false,
            },
        }
    }

    /// True for `arn:<any>:<literal service>:<*|>:<*|>:*`: every resource of one service.
    pub fn service_specific_universal(&self) -> bool {
        match self {
            ArnGlob::Segments(s) => match &s[2] {
                Glob::Exact(svc) => self.is_universal_for(&svc.to_ascii_lowercase()),
                _ => false,
            },
            ArnGlob::Whole(_) => false,
        }
    }

    /// True when the pattern covers every resource of `service_lower` (or every resource at all):
    /// `*`, or `arn:<any>:<service or *>:<* or empty>:<* or empty>:*`.
    pub fn is_universal_for(&self, service_lower: &str) -> bool {
        match self {
            ArnGlob::Whole(g) => *g == Glob::Any,
            ArnGlob::Segments(s) => {
                let open = |g: &Glob| *g == Glob::Any || *g == Glob::Exact(String::new());
                let svc_ok = match &s[2] {
                    Glob::Any => true,
                    Glob::Exact(x) => x.eq_ignore_ascii_case(service_lower),
                    _ => false,
                };
                svc_ok && open(&s[3]) && open(&s[4]) && s[5] == Glob::Any
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_basics() {
        assert!(Glob::new("*").is_match(""));
        assert!(Glob::new("a*c").is_match("abbbc"));
        assert!(Glob::new("a*c").is_match("ac"));
        assert!(!Glob::new("a*c").is_match("acb"));
        assert!(Glob::new("a?c").is_match("abc"));
        assert!(!Glob::new("a?c").is_match("ac"));
        assert!(Glob::new("*a*b*").is_match("xxaxxbxx"));
        assert!(!Glob::new("*a*b*").is_match("xxbxxaxx"));
        assert!(Glob::new("h?llo").is_match("hällo"));
        assert!(Glob::new("**x").is_match("ax"));
        assert_eq!(Glob::new("ab*"), Glob::Prefix("ab".into()));
    }

    #[test]
    fn action_patterns() {
        let p = ActionPattern::new("s3:Get*");
        assert!(p.matches("s3:GetObject"));
        assert!(p.matches("S3:getobject"));
        assert!(!p.matches("s3:PutObject"));
        assert!(!p.matches("s3x:GetObject"));
        assert!(ActionPattern::new("*").matches("ec2:RunInstances"));
        assert!(ActionPattern::new("s?:Get*").matches("s3:GetObject"));
        assert!(ActionPattern::new("iam:*AccessKey*").matches("iam:CreateAccessKey"));
    }

    #[test]
    fn arn_segments() {
        let g = ArnGlob::new("arn:aws:s3:::bucket*");
        assert!(g.is_match("arn:aws:s3:::bucketX/obj"));
        assert!(g.is_match("arn:aws:s3:::bucket/a:b"));
        assert!(!g.is_match("arn:aws:s3:::other"));
        // `*` in a fixed segment does not cross the colon.
        let g = ArnGlob::new("arn:aws:*:123456789012:*");
        assert!(!g.is_match("arn:aws:s3:::b"));
        let g = ArnGlob::new("arn:aws:ec2:*:*:instance/*");
        assert!(g.is_match("arn:aws:ec2:us-east-1:111122223333:instance/i-1"));
        assert!(!g.is_match("arn:aws:ec2:us-east-1:111122223333:volume/v-1"));
        assert!(ArnGlob::new("*").is_match("anything:at:all"));
        assert!(ArnGlob::new("arn:aws:s3:::*").is_universal_for("s3"));
        assert!(!ArnGlob::new("arn:aws:s3:::*").is_universal_for("ec2"));
        assert!(!ArnGlob::new("arn:aws:s3:::b/*").is_universal_for("s3"));
    }
}
