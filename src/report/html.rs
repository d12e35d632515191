//! Small helpers for writing HTML by hand: escaping and safe relative links.
//!
//! Every string that comes from data (ARNs, user names, summaries, file paths) goes through
//! [`escape`] before it reaches the page, so a crafted name cannot inject markup or script.

/// Escape text for use in HTML element content and in quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    push_escaped(&mut out, s);
    out
}

/// Append `s` to `out`, escaped as by [`escape`].
pub fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// The `href` value for a link to a local file given by a relative path, already escaped for a
/// quoted attribute; `None` when the path is not a plain relative path (it has a scheme such as
/// `http:` or `javascript:`, is absolute, or is empty), because the report must never point the
/// reader's browser at anything but files next to it.
pub fn relative_href(path: &str) -> Option<String> {
    let path = path.replace('\\', "/");
    let first_segment = path.split('/').next().unwrap_or("");
    if path.is_empty() || path.starts_with('/') || first_segment.contains(':') {
        return None;
    }
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        // Unreserved characters and the path separator pass; everything else is percent-encoded
        // so that `?`, `#`, spaces and non-ASCII names still link to the file itself.
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_special_characters() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("arn:aws:iam::1:role/a-b_c"), "arn:aws:iam::1:role/a-b_c");
    }

    #[test]
    fn relative_href_only_for_plain_relative_paths() {
        assert_eq!(relative_href("policies/1/roles/r.json").as_deref(), Some("policies/1/roles/r.json"));
        assert_eq!(relative_href("policies/a b?#.json").as_deref(), Some("policies/a%20b%3F%23.json"));
        assert_eq!(relative_href("policies\\x.json").as_deref(), Some("policies/x.json"));
        assert_eq!(relative_href("p/\"><script>.json").as_deref(), Some("p/%22%3E%3Cscript%3E.json"));
        assert_eq!(relative_href("https://example.com/x.json"), None);
        assert_eq!(relative_href("javascript:alert(1)"), None);
        assert_eq!(relative_href("//example.com/x"), None);
        assert_eq!(relative_href("/etc/passwd"), None);
        assert_eq!(relative_href(""), None);
    }
}
