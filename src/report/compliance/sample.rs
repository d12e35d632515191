//! The test data shared by the renderers' tests (and the input of the golden files).

use super::*;

pub(super) fn s(v: &str) -> String {
    v.to_owned()
}

pub(super) fn finding(id: &str, severity: &str, first_seen: &str, principal: Option<&str>) -> FindingRow {
    FindingRow {
        id: s(id),
        detector: s("console-login-without-mfa"),
        severity: s(severity),
        mitre: s("T1078.004"),
        principal: principal.map(s),
        actor: None,
        first_seen: s(first_seen),
        last_seen: s(first_seen),
        summary: s("Console sign-in without MFA"),
        events: 1,
    }
}

/// A small but complete data set; also the input of the golden Markdown file.
pub(super) fn sample() -> ComplianceData {
    ComplianceData {
        account_id: s("111122223333"),
        window_from: s("2024-03-01"),
        window_to: s("2024-03-05"),
        events: 1845,
        hygiene: Hygiene {
            root_events: 3,
            root_console_logins: 1,
            root_access_keys_active: Some(false),
            users_without_mfa: vec![s("alice")],
            unused_users: vec![s("old-build-bot"), s("temp_contractor")],
            unused_roles: vec![],
            unused_access_keys: vec![s("AKIAEXAMPLEUNUSED001 (old-build-bot)")],
            stale_access_keys: vec![],
        },
        principals: vec![
            PrincipalStatus {
                arn: s("arn:aws:iam::111122223333:user/alice"),
                kind: s("user"),
                granted: 12,
                used: 10,
                unused: 2,
                unobservable: 0,
                denied: 0,
                confidence: Some(s("high")),
                policy_files: vec![s("policies/111122223333/users/alice.json")],
                removed_actions: Some(2),
                verified: Some(true),
                used_actions: vec![s("iam:ChangePassword"), s("s3:GetObject")],
                unused_actions: vec![s("s3:DeleteObject"), s("s3:PutObject")],
                proposed: vec![ProposedPolicy {
                    name: s("alice.json"),
                    json: s("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\"], \"Resource\": \"*\"}]\n}"),
                }],
                escalation: vec![],
            },
            PrincipalStatus {
                arn: s("arn:aws:iam::111122223333:role/reporting"),
                kind: s("role"),
                granted: 88,
                used: 5,
                unused: 82,
                unobservable: 1,
                denied: 1,
                confidence: Some(s("medium")),
                policy_files: vec![s("policies/111122223333/roles/reporting.json")],
                removed_actions: Some(82),
                verified: Some(true),
                used_actions: vec![s("athena:StartQueryExecution"), s("s3:GetObject")],
                unused_actions: vec![s("iam:CreatePolicyVersion"), s("iam:PassRole"), s("lambda:CreateFunction")],
                proposed: vec![ProposedPolicy {
                    name: s("reporting.json"),
                    json: s("{\"Version\": \"2012-10-17\", \"Statement\": []}"),
                }],
                escalation: vec![
                    EscalationRow {
                        id: s("iam-001"),
                        name: s("iam:CreatePolicyVersion"),
                        category: s("self-escalation"),
                        used: false,
                    },
                    EscalationRow {
                        id: s("lambda-001"),
                        name: s("iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction"),
                        category: s("new-passrole"),
                        used: true,
                    },
                ],
            },
            PrincipalStatus {
                arn: s("arn:aws:iam::111122223333:role/ci|deploy"),
                kind: s("role"),
                granted: 4,
                used: 4,
                unused: 0,
                unobservable: 0,
                denied: 2,
                confidence: None,
                policy_files: vec![],
                removed_actions: None,
                verified: None,
                used_actions: vec![],
                unused_actions: vec![],
                proposed: vec![],
                escalation: vec![],
            },
        ],
        findings: vec![
            finding("F-0003", "medium", "2024-03-03T10:00:00Z", Some("arn:aws:iam::111122223333:user/alice")),
            FindingRow {
                id: s("F-0001"),
                detector: s("root-activity"),
                severity: s("critical"),
                mitre: s("T1078.004"),
                principal: Some(s("arn:aws:iam::111122223333:root")),
                actor: None,
                first_seen: s("2024-03-02T08:15:00Z"),
                last_seen: s("2024-03-04T09:00:00Z"),
                summary: s("Root user signed in and called 3 APIs"),
                events: 3,
            },
            FindingRow {
                id: s("F-0002"),
                detector: s("access-denied-burst"),
                severity: s("high"),
                mitre: s(""),
                principal: Some(s("arn:aws:iam::111122223333:role/ci|deploy")),
                actor: Some(s("arn:aws:sts::111122223333:assumed-role/ci|deploy/run-42")),
                first_seen: s("2024-03-01T23:59:59Z"),
                last_seen: s("2024-03-02T00:01:00Z"),
                summary: s("12 AccessDenied errors on s3:* in 2 minutes"),
                events: 12,
            },
            finding("F-0004", "low", "2024-03-01T00:00:00Z", None),
        ],
        incidents: vec![
            IncidentRow {
                id: s("I-1"),
                severity: s("high"),
                title: s("Denied burst, then a console sign-in without MFA"),
                principals: vec![s("arn:aws:iam::111122223333:role/ci|deploy")],
                first_seen: s("2024-03-01T23:59:59Z"),
                last_seen: s("2024-03-03T10:00:00Z"),
                tactics: vec![s("Discovery"), s("Initial Access")],
                finding_ids: vec![s("F-0002"), s("F-0003"), s("F-9999")],
                events: 13,
                story: s("entry: access-denied-burst -> Initial Access x1"),
            },
            IncidentRow {
                id: s("I-2"),
                severity: s("critical"),
                title: s("Root user activity"),
                principals: vec![s("arn:aws:iam::111122223333:root")],
                first_seen: s("2024-03-02T08:15:00Z"),
                last_seen: s("2024-03-04T09:00:00Z"),
                tactics: vec![s("Privilege Escalation")],
                finding_ids: vec![s("F-0001")],
                events: 3,
                story: s("entry: root-activity"),
            },
        ],
        activity_by_day: vec![
            DayActivity { date: s("2024-03-01"), events: 410, errors: 12, denied: 4 },
            DayActivity { date: s("2024-03-02"), events: 520, errors: 30, denied: 14 },
            DayActivity { date: s("2024-03-03"), events: 0, errors: 0, denied: 0 },
            DayActivity { date: s("2024-03-04"), events: 610, errors: 5, denied: 0 },
            DayActivity { date: s("2024-03-05"), events: 305, errors: 2, denied: 2 },
        ],
        activity_by_service: vec![
            ServiceActivity { service: s("s3.amazonaws.com"), events: 1200 },
            ServiceActivity { service: s("sts.amazonaws.com"), events: 400 },
            ServiceActivity { service: s("iam.amazonaws.com"), events: 245 },
        ],
        credentials: vec![
            CredentialRow { user: s("<root_account>"), kind: s("root"), detail: s("MFA active; no access keys") },
            CredentialRow {
                user: s("old-build-bot"),
                kind: s("access key"),
                detail: s("key 1 last used 2023-09-14 (over 90 days)"),
            },
        ],
        notes: vec![s("2.1% of events (39) could not be mapped to IAM actions"), s("1 file skipped: *truncated* gzip")],
        shared_roles: vec![SharedRole {
            role: s("arn:aws:iam::111122223333:role/AWSReservedSSO_PowerUser_0a1b"),
            summary: s("PowerUser: 3 people; 2 used only read actions; the write actions come from 1 person (c@x)"),
            groups: vec![
                s("a@x, b@x: only read (4 actions in all)"),
                s("c@x: write ec2:RunInstances (5 actions in all)"),
            ],
        }],
    }
}
