//! The IAM credential report (`aws iam get-credential-report`, base64-decoded CSV) and hygiene
//! findings about passwords, access keys, MFA and the root user. Pure: the caller passes `now`.

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};

use super::error::AccountError;

/// The report's name for the root user.
pub const ROOT_USER: &str = "<root_account>";

/// A time cell: a timestamp or one of the report's placeholder values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredTime {
    At(DateTime<Utc>),
    /// `N/A`: never (used, rotated, ...) or no such credential.
    NotApplicable,
    /// `no_information`: used before IAM began tracking (e.g. passwords before Oct 2014).
    NoInformation,
    /// `not_supported`: does not apply to this row (root password fields).
    NotSupported,
}

impl CredTime {
    pub fn at(&self) -> Option<DateTime<Utc>> {
        match self {
            CredTime::At(t) => Some(*t),
            _ => None,
        }
    }

    /// Whole days from this time to `now` (None for placeholders).
    pub fn days_before(&self, now: DateTime<Utc>) -> Option<i64> {
        self.at().map(|t| (now - t).num_days())
    }
}

impl Serialize for CredTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            CredTime::At(t) => s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            CredTime::NotApplicable => s.serialize_str("N/A"),
            CredTime::NoInformation => s.serialize_str("no_information"),
            CredTime::NotSupported => s.serialize_str("not_supported"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessKey {
    /// 1 or 2, as in the report's column names.
    pub slot: u8,
    pub active: bool,
    pub last_rotated: CredTime,
    pub last_used: CredTime,
    pub last_used_region: Option<String>,
    pub last_used_service: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SigningCertificate {
    pub slot: u8,
    pub active: bool,
    pub last_rotated: CredTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialRow {
    pub user: String,
    pub arn: String,
    pub is_root: bool,
    pub user_creation_time: CredTime,
    /// None for `not_supported` (the root row).
    pub password_enabled: Option<bool>,
    pub password_last_used: CredTime,
    pub password_last_changed: CredTime,
    pub password_next_rotation: CredTime,
    pub mfa_active: bool,
    pub access_keys: Vec<AccessKey>,
    pub certificates: Vec<SigningCertificate>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CredentialReport {
    pub rows: Vec<CredentialRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    RootAccessKey,
    RootSigningCertificate,
    RootWithoutMfa,
    UserWithoutMfa,
    UnusedPassword,
    AccessKeyNotRotated,
    UnusedAccessKey,
}

/// One hygiene finding (plain data for reports).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CredentialFinding {
    pub kind: FindingKind,
    pub user: String,
    pub arn: String,
    /// Access key or certificate slot (1 or 2) when the finding is about one.
    pub slot: Option<u8>,
    /// Age in days of the relevant timestamp (last use or rotation); None if never.
    pub days: Option<i64>,
    pub detail: String,
}

// ---- CSV ----

/// Splits simple RFC 4180 CSV (quoted fields, `""` escapes, CRLF) into records with line numbers.
fn parse_csv(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => in_quotes = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                if !(record.len() == 1 && record[0].is_empty()) {
                    records.push((record_line, std::mem::take(&mut record)));
                }
                record.clear();
                line += 1;
                record_line = line;
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(format!("line {record_line}: unterminated quoted field"));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push((record_line, record));
    }
    Ok(records)
}

fn parse_time(v: &str) -> Result<CredTime, String> {
    match v.trim() {
        "" | "N/A" => Ok(CredTime::NotApplicable),
        "no_information" => Ok(CredTime::NoInformation),
        "not_supported" => Ok(CredTime::NotSupported),
        t => crate::time::parse_arg(t)
            .and_then(|ms| DateTime::<Utc>::from_timestamp_millis(ms).ok_or_else(|| format!("{t:?} is out of range")))
            .map(CredTime::At)
            .map_err(|e| format!("invalid timestamp: {e}")),
    }
}

fn parse_bool(v: &str) -> Result<Option<bool>, String> {
    match v.trim() {
        "true" | "TRUE" | "True" => Ok(Some(true)),
        "false" | "FALSE" | "False" => Ok(Some(false)),
        "not_supported" | "N/A" | "" => Ok(None),
        other => Err(format!("invalid boolean {other:?}")),
    }
}

fn opt_text(v: &str) -> Option<String> {
    match v.trim() {
        "" | "N/A" | "no_information" | "not_supported" => None,
        t => Some(t.to_string()),
    }
}

/// The columns the hygiene checks read (MFA, password use, access keys, root credentials). The
/// others (creation and rotation of passwords, key regions and services, certificate rotation)
/// only add detail and read as `N/A` when absent.
pub const REQUIRED_COLUMNS: &[&str] = &[
    "password_enabled",
    "password_last_used",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "cert_1_active",
    "cert_2_active",
];

impl CredentialReport {
    /// Parses the CSV. Columns are found by header name, so order and extra columns don't matter;
    /// every column of `REQUIRED_COLUMNS` must be there, the others read as `N/A` when missing.
    pub fn parse(text: &str, file: &str) -> Result<Self, AccountError> {
        let records = parse_csv(text).map_err(|r| AccountError::input(file, r))?;
        let Some(((_, header), rows)) = records.split_first() else {
            return Err(AccountError::input(file, "empty credential report"));
        };
        let col = |name: &str| header.iter().position(|h| h.trim() == name);
        if col("user").is_none() || col("arn").is_none() {
            return Err(AccountError::input(file, "not a credential report: header lacks `user` and `arn` columns"));
        }
        // A check whose column is missing would read `N/A` and pass: refuse the report instead.
        let missing: Vec<&str> = REQUIRED_COLUMNS.iter().copied().filter(|c| col(c).is_none()).collect();
        if !missing.is_empty() {
            return Err(AccountError::input(
                file,
                format!(
                    "the credential report lacks the column{} {} that its checks need (renamed or removed?)",
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", ")
                ),
            ));
        }
        let mut out = Vec::with_capacity(rows.len());
        for (line, cells) in rows {
            if cells.len() != header.len() {
                return Err(AccountError::input(
                    file,
                    format!("line {line}: {} fields, header has {}", cells.len(), header.len()),
                ));
            }
            let get = |name: &str| col(name).map(|i| cells[i].as_str()).unwrap_or("N/A");
            let ctx = |name: &str, e: String| AccountError::input(file, format!("line {line}, column {name}: {e}"));
            let time = |name: &str| parse_time(get(name)).map_err(|e| ctx(name, e));
            let flag = |name: &str| parse_bool(get(name)).map_err(|e| ctx(name, e));
            let mut access_keys = Vec::new();
            for slot in 1..=2u8 {
                let p = format!("access_key_{slot}");
                access_keys.push(AccessKey {
                    slot,
                    active: flag(&format!("{p}_active"))?.unwrap_or(false),
                    last_rotated: time(&format!("{p}_last_rotated"))?,
                    last_used: time(&format!("{p}_last_used_date"))?,
                    last_used_region: opt_text(get(&format!("{p}_last_used_region"))),
                    last_used_service: opt_text(get(&format!("{p}_last_used_service"))),
                });
            }
            let mut certificates = Vec::new();
            for slot in 1..=2u8 {
                let p = format!("cert_{slot}");
                certificates.push(SigningCertificate {
                    slot,
                    active: flag(&format!("{p}_active"))?.unwrap_or(false),
                    last_rotated: time(&format!("{p}_last_rotated"))?,
                });
            }
            let user = get("user").to_string();
            out.push(CredentialRow {
                is_root: user == ROOT_USER,
                arn: get("arn").to_string(),
                user_creation_time: time("user_creation_time")?,
                password_enabled: flag("password_enabled")?,
                password_last_used: time("password_last_used")?,
                password_last_changed: time("password_last_changed")?,
                password_next_rotation: time("password_next_rotation")?,
                mfa_active: flag("mfa_active")?.unwrap_or(false),
                access_keys,
                certificates,
                user,
            });
        }
        // Without the root row the root checks would find nothing and pass.
        if !out.iter().any(|r| r.is_root) {
            return Err(AccountError::input(
                file,
                format!("the credential report has no {ROOT_USER} row, which the root user's checks need"),
            ));
        }
        Ok(CredentialReport { rows: out })
    }

    pub fn root(&self) -> Option<&CredentialRow> {
        self.rows.iter().find(|r| r.is_root)
    }

    /// The row of a user, by ARN or user name.
    pub fn row(&self, arn_or_name: &str) -> Option<&CredentialRow> {
        self.rows.iter().find(|r| r.arn == arn_or_name || r.user == arn_or_name)
    }

    fn finding(
        row: &CredentialRow,
        kind: FindingKind,
        slot: Option<u8>,
        days: Option<i64>,
        detail: String,
    ) -> CredentialFinding {
        CredentialFinding { kind, user: row.user.clone(), arn: row.arn.clone(), slot, days, detail }
    }

    /// IAM users with a console password never used, or not used for more than `max_days`.
    pub fn unused_passwords(&self, now: DateTime<Utc>, max_days: i64) -> Vec<CredentialFinding> {
        let mut out = Vec::new();
        for row in self.rows.iter().filter(|r| !r.is_root) {
            if row.password_enabled != Some(true) {
                continue;
            }
            match row.password_last_used.days_before(now) {
                Some(days) if days > max_days => out.push(Self::finding(
                    row,
                    FindingKind::UnusedPassword,
                    None,
                    Some(days),
                    format!("console password not used for {days} days"),
                )),
                Some(_) => {}
                None => {
                    let detail = if row.password_last_used == CredTime::NoInformation {
                        "console password not used since IAM began tracking use (no_information)"
                    } else {
                        "console password enabled but never used"
                    };
                    out.push(Self::finding(row, FindingKind::UnusedPassword, None, None, detail.into()))
                }
            }
        }
        out
    }

    /// Active access keys not rotated for more than `max_days` (or with no rotation date).
    pub fn stale_access_keys(&self, now: DateTime<Utc>, max_days: i64) -> Vec<CredentialFinding> {
        let mut out = Vec::new();
        for row in &self.rows {
            for key in row.access_keys.iter().filter(|k| k.active) {
                match key.last_rotated.days_before(now) {
                    Some(days) if days > max_days => out.push(Self::finding(
                        row,
                        FindingKind::AccessKeyNotRotated,
                        Some(key.slot),
                        Some(days),
                        format!("access key {} not rotated for {days} days", key.slot),
                    )),
                    Some(_) => {}
                    None => out.push(Self::finding(
                        row,
                        FindingKind::AccessKeyNotRotated,
                        Some(key.slot),
                        None,
                        format!("access key {} active with no rotation date", key.slot),
                    )),
                }
            }
        }
        out
    }

    /// Active access keys never used, or not used for more than `max_days`.
    pub fn unused_access_keys(&self, now: DateTime<Utc>, max_days: i64) -> Vec<CredentialFinding> {
        let mut out = Vec::new();
        for row in &self.rows {
            for key in row.access_keys.iter().filter(|k| k.active) {
                match key.last_used.days_before(now) {
                    Some(days) if days > max_days => out.push(Self::finding(
                        row,
                        FindingKind::UnusedAccessKey,
                        Some(key.slot),
                        Some(days),
                        format!("access key {} not used for {days} days", key.slot),
                    )),
                    Some(_) => {}
                    None => out.push(Self::finding(
                        row,
                        FindingKind::UnusedAccessKey,
                        Some(key.slot),
                        key.last_rotated.days_before(now),
                        format!("access key {} active but never used", key.slot),
                    )),
                }
            }
        }
        out
    }

    /// Active access keys or signing certificates of the root user.
    pub fn root_credentials(&self) -> Vec<CredentialFinding> {
        let mut out = Vec::new();
        for row in self.rows.iter().filter(|r| r.is_root) {
            for key in row.access_keys.iter().filter(|k| k.active) {
                out.push(Self::finding(
                    row,
                    FindingKind::RootAccessKey,
                    Some(key.slot),
                    None,
                    format!("root user has active access key {}", key.slot),
                ));
            }
            for cert in row.certificates.iter().filter(|c| c.active) {
                out.push(Self::finding(
                    row,
                    FindingKind::RootSigningCertificate,
                    Some(cert.slot),
                    None,
                    format!("root user has active signing certificate {}", cert.slot),
                ));
            }
        }
        out
    }

    /// Users with a console password and no MFA device, and the root user without MFA.
    pub fn without_mfa(&self) -> Vec<CredentialFinding> {
        let mut out = Vec::new();
        for row in self.rows.iter().filter(|r| !r.mfa_active) {
            if row.is_root {
                out.push(Self::finding(
                    row,
                    FindingKind::RootWithoutMfa,
                    None,
                    None,
                    "root user has no MFA device".into(),
                ));
            } else if row.password_enabled == Some(true) {
                out.push(Self::finding(
                    row,
                    FindingKind::UserWithoutMfa,
                    None,
                    None,
                    "console password enabled without MFA".into(),
                ));
            }
        }
        out
    }

    /// Every finding, sorted by kind then user. `max_days` bounds password/key use and key age.
    pub fn findings(&self, now: DateTime<Utc>, max_days: i64) -> Vec<CredentialFinding> {
        let mut all = self.root_credentials();
        all.extend(self.without_mfa());
        all.extend(self.unused_passwords(now, max_days));
        all.extend(self.stale_access_keys(now, max_days));
        all.extend(self.unused_access_keys(now, max_days));
        all.sort();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

    fn report() -> CredentialReport {
        let text = format!(
            "{HEADER}\r\n\
<root_account>,arn:aws:iam::123456789012:root,2019-01-01T00:00:00+00:00,not_supported,2024-05-01T10:00:00+00:00,not_supported,not_supported,false,true,2019-01-02T00:00:00+00:00,2024-05-30T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\r\n\
alice,arn:aws:iam::123456789012:user/alice,2020-01-01T00:00:00+00:00,true,2024-05-30T08:00:00+00:00,2020-01-01T00:00:00+00:00,N/A,true,true,2020-01-01T00:00:00+00:00,2024-05-31T00:00:00+00:00,eu-west-1,ec2,true,2024-05-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A\r\n\
\"bob\",arn:aws:iam::123456789012:user/dev/bob,2020-01-01T00:00:00+00:00,true,no_information,2020-01-01T00:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\r\n"
        );
        CredentialReport::parse(&text, "report.csv").unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-06-01T00:00:00Z").unwrap().with_timezone(&Utc)
    }

    #[test]
    fn parses_root_and_placeholders() {
        let r = report();
        assert_eq!(r.rows.len(), 3);
        let root = r.root().unwrap();
        assert_eq!(root.user, ROOT_USER);
        assert_eq!(root.password_enabled, None);
        assert_eq!(root.password_last_changed, CredTime::NotSupported);
        assert!(root.access_keys[0].active);
        assert_eq!(root.access_keys[0].last_used_service.as_deref(), Some("s3"));
        let bob = r.row("bob").unwrap();
        assert_eq!(bob.arn, "arn:aws:iam::123456789012:user/dev/bob");
        assert_eq!(bob.password_last_used, CredTime::NoInformation);
        assert_eq!(bob.access_keys[0].last_rotated, CredTime::NotApplicable);
        assert_eq!(bob.access_keys[0].last_used_region, None);
        let json = serde_json::to_value(bob).unwrap();
        assert_eq!(json["password_last_used"], "no_information");
        assert_eq!(json["user_creation_time"], "2020-01-01T00:00:00Z");
    }

    #[test]
    fn findings_are_relative_to_now() {
        let r = report();
        let got: Vec<(FindingKind, String, Option<u8>)> =
            r.findings(now(), 90).into_iter().map(|f| (f.kind, f.user, f.slot)).collect();
        assert_eq!(
            got,
            vec![
                (FindingKind::RootAccessKey, ROOT_USER.to_string(), Some(1)),
                (FindingKind::RootWithoutMfa, ROOT_USER.to_string(), None),
                (FindingKind::UserWithoutMfa, "bob".to_string(), None),
                (FindingKind::UnusedPassword, "bob".to_string(), None),
                (FindingKind::AccessKeyNotRotated, ROOT_USER.to_string(), Some(1)),
                (FindingKind::AccessKeyNotRotated, "alice".to_string(), Some(1)),
                (FindingKind::UnusedAccessKey, "alice".to_string(), Some(2)),
            ]
        );
        // Alice's password was used 2 days ago: flagged only with a tighter window.
        assert!(r.unused_passwords(now(), 90).iter().all(|f| f.user != "alice"));
        let tight = r.unused_passwords(now(), 1);
        assert!(tight.iter().all(|f| f.user != "alice"));
        let tighter = r.unused_passwords(now(), 0);
        assert!(tighter.iter().any(|f| f.user == "alice" && f.days == Some(1)));
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let text = format!("{HEADER}\nalice,arn:aws:iam::1:user/alice,yesterday,true,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n");
        let err = CredentialReport::parse(&text, "cr.csv").unwrap_err().to_string();
        assert!(err.contains("cr.csv") && err.contains("line 2") && err.contains("user_creation_time"), "{err}");
        let err = CredentialReport::parse("a,b\n1,2\n", "cr.csv").unwrap_err().to_string();
        assert!(err.contains("not a credential report"), "{err}");
        let err = CredentialReport::parse("user,arn\n\"x,y\n", "cr.csv").unwrap_err().to_string();
        assert!(err.contains("unterminated"), "{err}");
    }

    #[test]
    fn missing_or_renamed_check_columns_are_an_error_naming_them() {
        let renamed = HEADER.replace("mfa_active", "mfa").replace("access_key_1_active", "key_1_active");
        let text = format!("{renamed}\nalice,arn:aws:iam::1:user/alice,N/A,true,N/A,N/A,N/A,false,true,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n");
        let err = CredentialReport::parse(&text, "cr.csv").unwrap_err().to_string();
        assert!(err.contains("cr.csv") && err.contains("mfa_active, access_key_1_active"), "{err}");
        let err = CredentialReport::parse("user,arn\n<root_account>,arn:aws:iam::1:root\n", "cr.csv").unwrap_err();
        for c in REQUIRED_COLUMNS {
            assert!(err.to_string().contains(c), "{err}");
        }
        // Columns that only add detail may be missing.
        let slim: Vec<&str> =
            HEADER.split(',').filter(|c| !c.ends_with("_region") && !c.ends_with("_service")).collect();
        let cells =
            "alice,arn:aws:iam::1:user/alice,N/A,true,N/A,N/A,N/A,false,true,N/A,N/A,false,N/A,N/A,false,N/A,false,N/A";
        assert_eq!(slim.len(), cells.split(',').count());
        let err = CredentialReport::parse(&format!("{}\n{cells}\n", slim.join(",")), "cr.csv").unwrap_err();
        assert!(err.to_string().contains("no <root_account> row"), "{err}");
        let root = "<root_account>,arn:aws:iam::1:root,N/A,not_supported,N/A,N/A,N/A,true,false,N/A,N/A,false,N/A,N/A,false,N/A,false,N/A";
        let r = CredentialReport::parse(&format!("{}\n{cells}\n{root}\n", slim.join(",")), "cr.csv").unwrap();
        assert_eq!(r.rows[0].access_keys[0].last_used_region, None);
    }

    #[test]
    fn quoted_fields_with_commas_and_quotes() {
        let rows = parse_csv("a,b\n\"x,1\",\"say \"\"hi\"\"\"\n").unwrap();
        assert_eq!(rows[1].1, vec!["x,1".to_string(), "say \"hi\"".to_string()]);
        assert_eq!(rows[1].0, 2);
    }
}
