//! The curated override table `data/event_map_overrides.tsv`: corrections to the default
//! `prefix:EventName` rule (S3 API names, batch APIs, calls needing no permission, ...).
//!
//! Format: tab-separated `event_source, event_name, actions, note`; `actions` is a comma-separated
//! list of canonical IAM actions or `-` for "no identity permission needed". `#` starts a comment
//! line.

use std::sync::OnceLock;

static OVERRIDES_TSV: &str = include_str!("../../data/event_map_overrides.tsv");

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverrideTarget {
    Actions(Vec<String>),
    NoPermission,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub event_source: String,
    pub event_name: String,
    pub target: OverrideTarget,
    pub note: String,
}

#[derive(Debug, thiserror::Error)]
#[error("event_map_overrides.tsv line {line}: {reason}")]
pub struct OverrideError {
    pub line: usize,
    pub reason: String,
}

/// Parse the TSV text.
pub fn parse(text: &str) -> Result<Vec<Override>, OverrideError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < 3 {
            return Err(OverrideError {
                line: i + 1,
                reason: format!("expected at least 3 tab-separated fields, got {}", fields.len()),
            });
        }
        let actions = fields[2].trim();
        let target = if actions == "-" {
            OverrideTarget::NoPermission
        } else {
            let list: Vec<String> =
                actions.split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
            if list.is_empty() {
                return Err(OverrideError {
                    line: i + 1,
                    reason: "empty action list (use - for no permission)".into(),
                });
            }
            OverrideTarget::Actions(list)
        };
        out.push(Override {
            event_source: fields[0].trim().to_string(),
            event_name: fields[1].trim().to_string(),
            target,
            note: fields.get(3).map(|n| n.trim().to_string()).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// The embedded overrides.
pub fn overrides() -> &'static [Override] {
    static ROWS: OnceLock<Vec<Override>> = OnceLock::new();
    ROWS.get_or_init(|| parse(OVERRIDES_TSV).expect("embedded data/event_map_overrides.tsv is invalid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_and_rejects_bad_ones() {
        let rows =
            parse("# c\ns3.amazonaws.com\tHeadObject\ts3:GetObject\tnote\nsts.amazonaws.com\tGetCallerIdentity\t-\t\n")
                .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].target, OverrideTarget::Actions(vec!["s3:GetObject".into()]));
        assert_eq!(rows[1].target, OverrideTarget::NoPermission);
        assert!(parse("a\tb\n").is_err());
        assert!(parse("a\tb\t,\tx\n").is_err());
    }

    #[test]
    fn embedded_table_is_well_formed() {
        let rows = overrides();
        assert!(rows.len() >= 80, "{}", rows.len());
        let mut keys: Vec<(&str, &str)> =
            rows.iter().map(|r| (r.event_source.as_str(), r.event_name.as_str())).collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate override rows");
    }
}
