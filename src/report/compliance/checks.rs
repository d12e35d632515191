//! Account hygiene rules: each check's outcome from the [`Hygiene`] facts. Without a credential
//! report the checks that need one are UNKNOWN, never a false PASS.

use super::view::plural;
use super::Hygiene;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    Pass,
    Warn,
    Fail,
    Unknown,
}

impl Status {
    pub(super) fn word(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Unknown => "UNKNOWN",
        }
    }
    pub(super) fn css(self) -> &'static str {
        match self {
            Status::Pass => "st-pass",
            Status::Warn => "st-warn",
            Status::Fail => "st-fail",
            Status::Unknown => "st-unknown",
        }
    }
}

/// One row of the hygiene table: a check, its outcome, a sentence and the names involved.
pub(super) struct Check<'a> {
    pub(super) name: &'static str,
    pub(super) status: Status,
    pub(super) detail: String,
    pub(super) items: &'a [String],
}

pub(super) fn hygiene_checks(h: &Hygiene) -> Vec<Check<'_>> {
    // MFA devices and access keys are only known from the credential report; the IAM
    // authorization details do not list them. Without it, "none found" would be a false pass.
    let have_credential_report = h.root_access_keys_active.is_some();
    let list_check = |name, items: &'static str, fail: Status, list: &[String], needs_report: bool| {
        let n = list.len() as u64;
        let (status, detail) = if n > 0 {
            (fail, plural(n, &items[..items.len() - 1], items))
        } else if needs_report && !have_credential_report {
            (Status::Unknown, "needs a credential report (--credential-report)".to_owned())
        } else {
            (Status::Pass, "none".to_owned())
        };
        (name, status, detail)
    };
    let root_activity = if h.root_events > 0 || h.root_console_logins > 0 {
        (
            Status::Fail,
            format!(
                "{} by the root user, {}",
                plural(h.root_events, "event", "events"),
                plural(h.root_console_logins, "console sign-in", "console sign-ins")
            ),
        )
    } else {
        (Status::Pass, "no activity by the root user".to_owned())
    };
    let root_keys = match h.root_access_keys_active {
        Some(true) => (Status::Fail, "the root user has an active access key".to_owned()),
        Some(false) => (Status::Pass, "no active root access key".to_owned()),
        None => (Status::Unknown, "needs a credential report (--credential-report)".to_owned()),
    };
    let lists = [
        (list_check("Users without MFA", "users", Status::Fail, &h.users_without_mfa, true), &h.users_without_mfa),
        (list_check("Unused users", "users", Status::Warn, &h.unused_users, false), &h.unused_users),
        (list_check("Unused roles", "roles", Status::Warn, &h.unused_roles, false), &h.unused_roles),
        (list_check("Unused access keys", "keys", Status::Warn, &h.unused_access_keys, true), &h.unused_access_keys),
        (list_check("Stale access keys", "keys", Status::Warn, &h.stale_access_keys, true), &h.stale_access_keys),
    ];
    let mut checks = vec![
        Check { name: "Root user activity", status: root_activity.0, detail: root_activity.1, items: &[] },
        Check { name: "Root access keys", status: root_keys.0, detail: root_keys.1, items: &[] },
    ];
    for ((name, status, detail), items) in lists {
        checks.push(Check { name, status, detail, items: items.as_slice() });
    }
    checks
}

/// How many checks need attention (FAIL or WARN), and "of N checks need attention[, M unknown]".
pub(super) fn attention_summary(checks: &[Check]) -> (usize, String) {
    let attention = checks.iter().filter(|c| matches!(c.status, Status::Fail | Status::Warn)).count();
    let unknown = checks.iter().filter(|c| c.status == Status::Unknown).count();
    let mut of = format!("of {} checks need attention", checks.len());
    if unknown > 0 {
        of.push_str(&format!(", {unknown} unknown"));
    }
    (attention, of)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::compliance::sample::s;

    #[test]
    fn hygiene_without_a_credential_report_is_unknown_not_pass() {
        let mut h = Hygiene::default();
        let status = |h: &Hygiene| -> Vec<(&'static str, Status)> {
            hygiene_checks(h).iter().map(|c| (c.name, c.status)).collect()
        };
        assert_eq!(
            status(&h),
            [
                ("Root user activity", Status::Pass),
                ("Root access keys", Status::Unknown),
                ("Users without MFA", Status::Unknown),
                ("Unused users", Status::Pass),
                ("Unused roles", Status::Pass),
                ("Unused access keys", Status::Unknown),
                ("Stale access keys", Status::Unknown),
            ]
        );
        h.root_access_keys_active = Some(true);
        h.root_console_logins = 1;
        h.users_without_mfa = vec![s("bob")];
        h.unused_roles = vec![s("r1"), s("r2")];
        assert_eq!(
            status(&h),
            [
                ("Root user activity", Status::Fail),
                ("Root access keys", Status::Fail),
                ("Users without MFA", Status::Fail),
                ("Unused users", Status::Pass),
                ("Unused roles", Status::Warn),
                ("Unused access keys", Status::Pass),
                ("Stale access keys", Status::Pass),
            ]
        );
        let checks = hygiene_checks(&h);
        assert_eq!(checks[0].detail, "0 events by the root user, 1 console sign-in");
        assert_eq!(checks[2].detail, "1 user");
        assert_eq!(checks[4].detail, "2 roles");
        assert_eq!(attention_summary(&checks), (4, "of 7 checks need attention".to_owned()));
        assert_eq!(attention_summary(&hygiene_checks(&Hygiene::default())).1, "of 7 checks need attention, 4 unknown");
    }
}
