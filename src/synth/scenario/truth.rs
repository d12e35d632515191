//! The scenario's ground truth: `SCENARIO.md` for people and `ground-truth.json` for tests
//! (a cross-check only; tests must not depend on the generator's internals).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde_json::json;

use super::cast::*;
use super::output::Delivery;
use super::Ev;
use crate::synth::record::fmt_time;
use crate::synth::writer::{write_pretty, write_text, Written};

/// (id, detector family, title, what happened)
pub const INCIDENTS: &[(&str, &str, &str, &str)] = &[
    ("INC-00", "root-activity", "Root console sign-in (with MFA) on 2026-09-03", "The owner signs in as root with MFA from 198.51.100.23 and looks at account settings (GetAccountSummary, ListMFADevices, GetContactInformation). Benign-ish, but any root use is a finding."),
    ("INC-01", "recon-burst", "Recon burst with dave's leaked key", "2026-10-08 02:14 UTC: dave's access key used from 185.220.101.34 (never seen) with a new client (aws-cli/1.16 on Kali): GetCallerIdentity, then List/Describe/Get calls across 15 services within about 2 minutes. IAM List* and S3 calls succeed (dave's policy), the rest is refused."),
    ("INC-02", "access-denied-burst", "AccessDenied burst with dave's key", "2026-10-08 02:19 UTC: 34 refused calls within about 3 minutes (IAM writes, CloudTrail changes, other regions, services dave has no access to). Together with INC-01's 15 refusals: 49 denied calls within 8 minutes."),
    ("INC-03", "bulk-secret-reads", "Bulk secret reads", "2026-10-08 02:41 UTC: GetSecretValue of all 18 secrets by name (one call each, all succeed), then 2 ssm:GetParameters calls that are refused."),
    ("INC-04", "first-use-of-granted-permission", "First use of secretsmanager:GetSecretValue by dave", "dave held secretsmanager:GetSecretValue since 2024 and never used it before 2026-10-08 02:41 UTC (the first event of INC-03)."),
    ("INC-05", "cross-account-pivot", "OrganizationAccountAccessRole assumed from a new address", "The secret ops/org-automation held a management-account key: AssumeRole into OrganizationAccountAccessRole (AdministratorAccess) from 123456789012 via 185.220.101.34, on 2026-10-08 03:31 and 2026-10-09 03:05 UTC (the only earlier use: 2026-09-16 from 203.0.113.50)."),
    ("INC-06", "cloudtrail-tampering", "CloudTrail tampering", "dave's key tries StopLogging/PutEventSelectors/DeleteTrail on management-events (refused, inside INC-02); the admin role then succeeds on the secondary trail examplecorp-data-events: PutEventSelectors, StopLogging, DeleteTrail (2026-10-08 ~03:32 UTC)."),
    ("INC-07", "defence-evasion", "GuardDuty, Config, flow logs, leaving the organization", "Admin role, 2026-10-08: GuardDuty DeleteDetector in us-east-1 and eu-west-1, Config StopConfigurationRecorder, EC2 DeleteFlowLogs, and organizations:LeaveOrganization, refused by the Workloads OU SCP."),
    ("INC-08", "iam-persistence", "IAM persistence", "Admin role, 2026-10-08 ~03:50 UTC: CreateUser support-ops, CreateLoginProfile + UpdateLoginProfile support-ops, AttachUserPolicy AdministratorAccess to support-ops, CreateAccessKey for alice, CreateLoginProfile for bob, UpdateAssumeRolePolicy of audit-readonly adding account 999988887777, SetDefaultPolicyVersion DeveloperAccess -> v1 (the old broad version). Also dave's refused attempts (CreateUser, CreateAccessKey, AttachUserPolicy, PutUserPolicy, CreateLoginProfile) inside INC-02."),
    ("INC-09", "console-login-without-mfa", "Console sign-ins without MFA", "Every successful console sign-in without MFA: carol's routine sign-ins (her user has no MFA device, a posture finding) and the attacker's sign-ins as support-ops (2026-10-09) and bob (2026-10-10, bob never used the console before) from 185.220.101.77, with their console calls."),
    ("INC-10", "new-access-key-used", "The access key created for alice used by the attacker", "2026-10-10 04:10 UTC from 185.220.101.77: GetCallerIdentity, ListBuckets, DescribeInstances, ListUsers. alice otherwise only uses the console."),
    ("INC-11", "external-account-assume", "audit-readonly assumed from an unknown account", "2026-10-11 05:20 UTC: AssumeRole into audit-readonly from 999988887777 (added to its trust policy in INC-08), then a few reads."),
    ("INC-12", "resource-exposure", "Resource exposure", "Admin role, 2026-10-09: ModifySnapshotAttribute createVolumePermission add group all, ModifyImageAttribute launchPermission add group all, DeleteBucketPublicAccessBlock and a public PutBucketPolicy (Principal *) on examplecorp-backups, PutBucketPublicAccessBlock all false on examplecorp-exports, AuthorizeSecurityGroupIngress 0.0.0.0/0 tcp/22."),
    ("INC-13", "execution", "Execution on instances and in Lambda", "Admin role, 2026-10-09: ssm SendCommand (AWS-RunShellScript) and StartSession on the app instances, StopInstances + ModifyInstanceAttribute userData + StartInstances on the dev instance, PublishLayerVersion, UpdateFunctionConfiguration (layers) and UpdateFunctionCode on app-orders."),
    ("INC-14", "new-region", "Activity in ap-southeast-1", "Admin role (exempt from the region SCP), 2026-10-09: DescribeImages, CreateKeyPair, 3x RunInstances c5.4xlarge, DescribeInstances in ap-southeast-1, a region the account never used; also dave's refused RunInstances there and DescribeInstances in us-west-2 (SCP) inside INC-02."),
    ("INC-15", "password-spray", "Password spraying", "2026-10-11 21:03-21:25 UTC from 193.32.162.45: 16 failed ConsoleLogin for 14 user names, 9 of which do not exist (recorded with their typed names, principalId empty, no arn)."),
    ("INC-16", "ec2-credentials-outside", "Instance-role credentials used outside AWS", "2026-10-12 04:15 UTC: the session of app-server-role for i-0abc1234def567890 (ec2RoleDelivery 2.0, same ASIA key as the instance's calls that day) used from 45.33.18.77: GetCallerIdentity, ListBuckets (refused), ListObjects and 12 GetObject of reports, GetParameters, Scan and ListSecrets (refused)."),
    ("INC-17", "root-activity", "Root activity during the response", "2026-10-13 14:05 UTC: root console sign-in with MFA from 198.51.100.23; GetAccountSummary, ListUsers, ListAccessKeys + UpdateAccessKey (alice's planted key -> Inactive), DescribeTrails, GuardDuty CreateDetector, Config StartConfigurationRecorder."),
    ("INC-18", "remediation", "alice restores DeveloperAccess v2", "2026-10-13 14:40 UTC: alice signs in with MFA, ListPolicyVersions, SetDefaultPolicyVersion v2, GetPolicyVersion. From 2026-10-08 03:5x to this moment v1 (broad) was the default version of DeveloperAccess; bob's calls in that time are allowed by both versions."),
    ("INC-19", "credential-harvest", "Bulk credential harvesting on 2026-10-14", "Admin role from 23.129.64.140, 2026-10-14 ~01:05 UTC: BatchGetSecretValue by filter (no names), GetParametersByPath / recursively with decryption, DescribeInstanceAttribute userData of the dev instance, GetPasswordData of bob's instance, EC2 Instance Connect SendSSHPublicKey and SendSerialConsoleSSHPublicKey to instance B."),
    ("INC-20", "backdoors", "Backdoors and exposure on 2026-10-14", "Admin role, 2026-10-14 ~01:30 UTC: lambda AddPermission principal * on app-orders, a layer from 999988887777 added to it, IAM Roles Anywhere CreateTrustAnchor + CreateProfile, a PutBucketPolicy granting 999988887777 read on examplecorp-finance, AuthorizeSecurityGroupIngress RDP from 0.0.0.0/1 + 128.0.0.0/1 and SSH from ::/0; dave's key calls GetFederationToken from 185.220.101.34 (01:50)."),
    ("INC-21", "llm-jacking", "LLM-jacking on 2026-10-14", "Admin role, 2026-10-14 ~01:50 UTC: GetFoundationModelAvailability, PutUseCaseForModelAccess, PutFoundationModelEntitlement, then InvokeModel x2, Converse and InvokeModelWithResponseStream (the account never used Bedrock)."),
    ("INC-22", "ransomware", "GPU mining and ransomware on 2026-10-14", "Admin role, 2026-10-14 ~02:10 UTC: RunInstances 2x p4d.24xlarge, 6 CopyObject in place with SSE-C and 4 DeleteObjects batches on examplecorp-archive, KMS DisableKey and ScheduleKeyDeletion of the account key."),
    ("INC-23", "instance-credentials-elsewhere", "Instance B's credentials used from a VPS", "2026-10-14 05:40 UTC: the session of app-server-role for i-0abc1234def567891 (ec2RoleDelivery 2.0) used from 91.219.236.18 to enumerate 14 services (18 List/Describe/Get calls in about 5 minutes; all but GetCallerIdentity refused)."),
];

pub fn write(out: &Path, events: &[Ev], delivery: &Delivery) -> anyhow::Result<Written> {
    let mut w = Written::default();
    let truth = ground_truth(events, delivery);
    w.bytes += write_pretty(&out.join("ground-truth.json"), &truth)?;
    w.bytes += write_text(&out.join("SCENARIO.md"), &markdown(events, delivery))?;
    w.files += 2;
    Ok(w)
}

/// A refused call (errorCode) or a failed sign-in (errorMessage only).
fn is_error(e: &Ev) -> bool {
    e.rec.error_code.is_some() || e.rec.error_message.is_some()
}

#[derive(Default)]
struct Count {
    events: u64,
    errors: u64,
    data: u64,
    first: i64,
    last: i64,
}

impl Count {
    fn add(&mut self, e: &Ev) {
        if self.events == 0 || e.t < self.first {
            self.first = e.t;
        }
        self.last = self.last.max(e.t);
        self.events += 1;
        self.errors += u64::from(is_error(e));
        self.data += u64::from(e.rec.event_category == "Data");
    }
}

fn per_principal(events: &[Ev]) -> BTreeMap<&str, Count> {
    let mut m: BTreeMap<&str, Count> = BTreeMap::new();
    for e in events {
        m.entry(e.principal.as_str()).or_default().add(e);
    }
    m
}

fn incident_events<'a>(events: &'a [Ev], id: &str) -> Vec<&'a Ev> {
    events.iter().filter(|e| e.tags.contains(&id)).collect()
}

fn ground_truth(events: &[Ev], delivery: &Delivery) -> serde_json::Value {
    let principals: BTreeMap<&str, serde_json::Value> = per_principal(events)
        .into_iter()
        .map(|(p, c)| (p, json!({"events": c.events, "errors": c.errors, "data_events": c.data, "first": fmt_time(c.first), "last": fmt_time(c.last)})))
        .collect();
    let incidents: Vec<serde_json::Value> = INCIDENTS
        .iter()
        .map(|(id, family, title, _)| {
            let evs = incident_events(events, id);
            let names: BTreeSet<String> = evs
                .iter()
                .map(|e| format!("{}:{}", e.rec.event_source.trim_end_matches(".amazonaws.com"), e.rec.event_name))
                .collect();
            let who: BTreeSet<&str> = evs.iter().map(|e| e.principal.as_str()).collect();
            let ips: BTreeSet<&str> = evs.iter().map(|e| e.rec.source_ip_address.as_str()).collect();
            let regions: BTreeSet<&str> = evs.iter().map(|e| e.region.as_str()).collect();
            json!({
                "id": id, "family": family, "title": title,
                "first": evs.first().map(|e| fmt_time(e.t)), "last": evs.last().map(|e| fmt_time(e.t)),
                "events": evs.len(), "errors": evs.iter().filter(|e| is_error(e)).count(),
                "principals": who, "source_ips": ips, "regions": regions, "event_names": names,
                "event_ids": evs.iter().map(|e| e.rec.event_id.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut regions: BTreeMap<&str, u64> = BTreeMap::new();
    for e in events {
        *regions.entry(e.region.as_str()).or_default() += 1;
    }
    json!({
        "account": ACCOUNT,
        "window": {"start": fmt_time(START), "end": fmt_time(START + DAYS * DAY - 1), "incident_phase_start": fmt_time(START + INCIDENT_DAY * DAY)},
        "unique_events": events.len(),
        "errors": events.iter().filter(|e| is_error(e)).count(),
        "data_events": events.iter().filter(|e| e.rec.event_category == "Data").count(),
        "events_per_region": regions,
        "log_files": delivery.log_files.len(),
        "org_trail_copy": {"files": delivery.org_copy_files.len(), "duplicate_events": delivery.org_copy_events, "prefix": format!("AWSLogs/{ORG_ID}/{ACCOUNT}/CloudTrail/{US}/2026/10/08/")},
        "non_cloudtrail_files": ["CloudTrail-Digest (1 file)", "Config snapshot (1 file)"],
        "records_in_files": delivery.written.events,
        "principals": principals,
        "incidents": incidents,
    })
}

fn markdown(events: &[Ev], delivery: &Delivery) -> String {
    let mut s = String::new();
    let errors = events.iter().filter(|e| is_error(e)).count();
    let data = events.iter().filter(|e| e.rec.event_category == "Data").count();
    let _ = writeln!(s, "# Sample corpus: Example Corp (account {ACCOUNT})\n");
    let _ = writeln!(s, "Generated by `trailtrim synth --out sample-logs --events 0 --seed 42` (deterministic: the same command writes byte-identical files). Do not edit by hand: change the generator (`src/synth/`) and regenerate.\n");
    let _ = writeln!(s, "A machine-readable copy of the counts below, with the event ids of every incident, is in `ground-truth.json`. Tests may use it as a cross-check only.\n");
    let _ = writeln!(s, "## Totals\n");
    let _ = writeln!(s, "- Window: 2026-09-01 .. 2026-10-15 (45 days, UTC). Baseline routine every day; incident phase 2026-10-08 .. 2026-10-15 (the routine goes on).");
    let _ = writeln!(
        s,
        "- **{} unique events** ({} errors, {} data events) in **{} CloudTrail log files** (one per region and hour).",
        events.len(),
        errors,
        data,
        delivery.log_files.len()
    );
    let _ = writeln!(s, "- Organization-trail copy: the us-east-1 events of 2026-10-08 are delivered a second time under `AWSLogs/{ORG_ID}/{ACCOUNT}/CloudTrail/us-east-1/2026/10/08/` ({} files of 30 minutes, {} records with the same eventIDs, other file names). Ingest must de-duplicate them: {} records in total in the log files.", delivery.org_copy_files.len(), delivery.org_copy_events, delivery.written.events);
    let _ = writeln!(s, "- Not CloudTrail records, to be skipped: one `CloudTrail-Digest` file and one AWS Config snapshot (`configurationItems`).");
    let _ = writeln!(s, "- No malformed input.\n");
    let mut regions: BTreeMap<&str, u64> = BTreeMap::new();
    for e in events {
        *regions.entry(e.region.as_str()).or_default() += 1;
    }
    let _ = writeln!(
        s,
        "Events per region: {}.\n",
        regions.iter().map(|(r, n)| format!("{r} {n}")).collect::<Vec<_>>().join(", ")
    );

    let _ = writeln!(s, "## The account\n");
    s.push_str(ACCOUNT_TEXT);
    let _ = writeln!(s, "\n## Events per principal\n");
    let _ = writeln!(s, "Labels: `user/NAME`, `role/NAME` (all sessions of the role; SSO sessions also show the person), `root`, `service/HOST` (userIdentity type AWSService), `account/ID` (a principal of another account calling AssumeRole: type AWSAccount), `saml/NAME` (AssumeRoleWithSAML: type SAMLUser), `web/SUBJECT` (AssumeRoleWithWebIdentity: type WebIdentityUser), `unknown-user/NAME` (failed sign-in with a user name that does not exist). `(via SERVICE)` marks calls a service made for the principal (`userIdentity.invokedBy` set, sourceIPAddress the service): not the principal's own use.\n");
    let _ = writeln!(s, "| principal | events | errors | data events | first | last |");
    let _ = writeln!(s, "|---|---:|---:|---:|---|---|");
    for (p, c) in per_principal(events) {
        let _ = writeln!(
            s,
            "| `{p}` | {} | {} | {} | {} | {} |",
            c.events,
            c.errors,
            c.data,
            fmt_time(c.first),
            fmt_time(c.last)
        );
    }
    let _ = writeln!(
        s,
        "\nNever used in the window: user `svc-backup` (active access key from 2022), role `unused-role`.\n"
    );

    let _ = writeln!(s, "## Incidents\n");
    let _ = writeln!(
        s,
        "An event may belong to several incidents (e.g. dave's refused StopLogging is in INC-02 and INC-06).\n"
    );
    let _ = writeln!(s, "| id | family | events | errors | first | last | principals | source IPs |");
    let _ = writeln!(s, "|---|---|---:|---:|---|---|---|---|");
    for (id, family, _, _) in INCIDENTS {
        let evs = incident_events(events, id);
        let who: BTreeSet<&str> = evs.iter().map(|e| e.principal.as_str()).collect();
        let ips: BTreeSet<&str> = evs.iter().map(|e| e.rec.source_ip_address.as_str()).collect();
        let errs = evs.iter().filter(|e| is_error(e)).count();
        let (first, last) = (
            evs.first().map(|e| fmt_time(e.t)).unwrap_or_default(),
            evs.last().map(|e| fmt_time(e.t)).unwrap_or_default(),
        );
        let ip_text = if ips.len() > 3 {
            format!("{} addresses", ips.len())
        } else {
            ips.into_iter().collect::<Vec<_>>().join(", ")
        };
        let _ = writeln!(
            s,
            "| {id} | {family} | {} | {errs} | {first} | {last} | {} | {ip_text} |",
            evs.len(),
            who.into_iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(" ")
        );
    }
    s.push('\n');
    for (id, _, title, text) in INCIDENTS {
        let _ = writeln!(s, "- **{id} {title}.** {text}");
    }
    s.push_str(NOTES_TEXT);
    s
}

const ACCOUNT_TEXT: &str = "\
Regions: us-east-1 (main), eu-west-1; ap-southeast-1 only in the incident. The IAM files in `iam/` describe the account **at the end of the window** (after the incident: user `support-ops` exists with AdministratorAccess, audit-readonly trusts 999988887777, alice has an inactive access key, bob has a console password; DeveloperAccess is back on v2).

| principal | kind | permissions | routine |
|---|---|---|---|
| `alice` | IAM user, console + MFA | group `admins` -> AWS managed AdministratorAccess | ~every other weekday 09:30 from 203.0.113.10: IAM/CloudTrail/EC2/S3 reads, CloudFront `ListDistributions2020_05_31`, SES via `email.amazonaws.com`, Cost Explorer, Organizations, CloudWatch in eu-west-1 |
| `bob` | IAM user, access key (CLI) | group `developers` -> customer managed `DeveloperAccess` (v2 default; v1 = old broad version) and inline `own-instances` | most weekdays from 203.0.113.25 (Fridays home 198.51.100.7): S3 on examplecorp-dev and examplecorp-data/exports, DynamoDB dev-orders, Lambda dev-orders-api (Invoke is a data event), logs, CloudWatch via `monitoring.amazonaws.com`, EC2 describes; starts his test instance i-0b0b5eed0b0b5eed0 (tagged owner=bob) when his day starts and stops it after his last call, allowed by the group's inline `own-instances` (ec2:StartInstances/StopInstances on `*` where `aws:ResourceTag/owner` = `${aws:username}`, a condition CloudTrail cannot show); weekly Athena query (Glue and S3 calls `invokedBy athena.amazonaws.com`). Refused: iam:ListRoles (09-09, 10-01), s3:GetObject on examplecorp-finance (09-17), ec2:RunInstances (09-24) |
| `carol` | IAM user, console WITHOUT MFA | group `readonly` -> AWS managed ReadOnlyAccess | Tue/Thu 13:xx from 198.51.100.44: describes and lists. Refused: ec2:StopInstances (09-10), s3:PutObject (09-29) |
| `ci-deployer` | IAM user, access key | inline `ci-deploy` (lambda Create/UpdateFunctionCode/GetFunction on `function:app-*`, ListFunctions, iam:PassRole on role/service/lambda-exec-role for lambda.amazonaws.com, CloudFormation on `stack/app-*`, S3 Put/Get on examplecorp-artifacts) + permissions boundary `DeployerBoundary` | weekdays from 192.0.2.15: `UpdateFunctionCode20150331v2`, `GetFunction20150331v2`, CloudFormation; 09-14 `CreateFunction20150331` app-reports with role lambda-exec-role (PassRole); refused 09-21 UpdateFunctionCode on legacy-billing |
| `dave` | IAM user, access key | inline `data-engineer`: s3:*, iam:List*, secretsmanager:GetSecretValue | weekdays until 10-08 from 198.51.100.71: S3 reads/writes on examplecorp-data, sometimes iam:ListUsers, eu-west-1 bucket. Never GetSecretValue. His key is stolen (INC-01..04) |
| `svc-backup` | IAM user, old access key | inline S3 read on examplecorp-backups | never used |
| `support-ops` | IAM user created by the attacker | AdministratorAccess | INC-09 |
| `app-server-role` (path `/service/`) | EC2 instance role, profile `app-server-profile` | inline `app-server-access`: S3 List on examplecorp-data, Get/Put/DeleteObject on `reports/*` and `config/*`, DynamoDB Get/Put/Query on orders and customers, SQS on orders-queue, kms:Decrypt, ssm:GetParameters `/app/prod/*`, logs | sessions named `i-0abc1234def567890` / `...891` (AssumeRole by `ec2.amazonaws.com` daily, `ec2RoleDelivery` 2.0), from 10.0.1.23 / 10.0.2.57 through `vpce-0a1b2c3d4e5f60718`: nightly report batch (PutObject `reports/YYYY/MM/DD/*`) and online traffic. DeleteObject of old reports every third night: always refused by the bucket policy (explicit deny) - a denied-only action |
| `AWSReservedSSO_DeveloperAccess_0123456789abcdef` (path `/aws-reserved/sso.amazonaws.com/`) | IAM Identity Center role (SAML) | AWS managed PowerUserAccess + inline iam:PassRole of app-server-role to EC2 | `dana@example.com` (console, CloudFormation + S3; stack updates make `invokedBy cloudformation.amazonaws.com` calls: CreateQueue, CreateTopic, CreateTable), `erik@example.com` (CLI: EC2 + SSM sessions; 09-22 RunInstances with `iamInstanceProfile` app-server-profile = PassRole) |
| `AWSReservedSSO_PlatformOps_fedcba9876543210` (path `/aws-reserved/sso.amazonaws.com/`) | IAM Identity Center role (SAML) | AWS managed ReadOnlyAccess + inline EC2 reboot/start/stop, S3 Get/PutObject on examplecorp-secure, sts:AssumeRole of release-deployer, kms:Decrypt/GenerateDataKey on the bucket's key | five people, each about one weekday in three from 203.0.113.60 (console): `gina@`, `hugo@`, `ines@example.com` only read (EC2 describes, CloudWatch alarms, ListBuckets); `jon@example.com` also reboots i-0de55aa66bb77cc88; `kim@example.com` reads a runbook on the SSE-KMS bucket and assumes `release-deployer` (role chain, session `kim-release-<day>`) |
| `release-deployer` | role (trusts the PlatformOps role) | inline S3 Get/PutObject on examplecorp-secure/releases/*, kms:Decrypt/GenerateDataKey on the bucket's key | kim's chained sessions: PutObject of a release bundle and GetObject of the manifest on the SSE-KMS bucket `examplecorp-secure` (key 5e1c0a9b-...: S3 decrypts and generates data keys as the caller) |
| `gha-deploy` | role (trusts GitHub's OIDC provider for `repo:examplecorp/app:ref:refs/heads/main`) | inline s3:GetObject on examplecorp-secure/releases/*, kms:Decrypt on the key | weekly GitHub Actions run: AssumeRoleWithWebIdentity (subject `repo:examplecorp/app:ref:refs/heads/main`), then GetObject of the manifest |
| `lambda-exec-role` (path `/service/`) | Lambda execution role | AWS managed AWSLambdaBasicExecutionRole + inline DynamoDB on table/orders | AssumeRole by `lambda.amazonaws.com` daily, session `app-orders`; DynamoDB data events |
| `audit-readonly` | cross-account role | AWS managed SecurityAudit; trusts 444455556666 (and, after INC-08, 999988887777) | Mondays 09:xx AssumeRole from 444455556666 (type AWSAccount, sharedEventID), then audit reads in both regions |
| `OrganizationAccountAccessRole` | organization admin role | AdministratorAccess; trusts 123456789012 | once on 09-16 from the management account (203.0.113.50); attacker's sessions in INC-05..14 |
| `unused-role` | role | inline ec2:*, s3:* | never assumed |
| `AWSServiceRoleForConfig` | service-linked role | AWSConfigServiceRolePolicy | every third night: AssumeRole by `config.amazonaws.com`, then calls `invokedBy config.amazonaws.com` |
| root | root user | everything (but SCPs) | INC-00, INC-17 |

AWS services acting themselves (`service/...`): `ec2.amazonaws.com`, `lambda.amazonaws.com`, `config.amazonaws.com` (AssumeRole), `cloudtrail.amazonaws.com` (kms GenerateDataKey for log encryption).

SCPs (`iam/scps/`, root level first): `00-root.json` FullAWSAccess; `10-ou-workloads.json` FullAWSAccess + deny organizations:LeaveOrganization + deny everything but global services outside us-east-1/eu-west-1 unless the principal is OrganizationAccountAccessRole (or an SSO AdministratorAccess role). Resource policies (`iam/resource-policies/`): examplecorp-data (deny s3:DeleteObject to everyone; deny non-TLS), examplecorp-backups (public read, as left by INC-12), the KMS key (IAM delegation + CloudTrail).
";

const NOTES_TEXT: &str = "
## Conventions and details

- Record fields: eventVersion 1.09 (data events 1.10), requestID and eventID are UUID v4, tlsDetails on direct calls, `sessionCredentialFromConsole: \"true\"` on console calls, `ASIA...` keys for sessions, `AKIA...` for users' long-term keys. ConsoleLogin has eventType AwsConsoleSignIn, no requestID, `additionalEventData.MFAUsed`, responseElements ConsoleLogin Success/Failure (failures: errorMessage \"Failed authentication\").
- Error codes are the services' own: `AccessDenied` (IAM, STS, S3, SNS, SQS, RDS, CloudWatch), `Client.UnauthorizedOperation` (EC2), `AccessDeniedException` (the others: Lambda, DynamoDB, KMS, SSM, Secrets Manager, CloudTrail, GuardDuty, Config, Organizations, ...). Messages name the refused IAM action and say why: no identity-based policy allows it, an explicit deny in a service control policy, or an explicit deny in a resource-based policy.
- Data events: S3 GetObject/PutObject/DeleteObject/ListObjects (resources with the object and the bucket), DynamoDB GetItem/PutItem/Query/Scan, SQS SendMessage/ReceiveMessage/DeleteMessage, Lambda Invoke. All with eventCategory Data and managementEvent false.
- Dated API names: `ListFunctions20150331`, `GetFunction20150331v2`, `UpdateFunctionCode20150331v2`, `CreateFunction20150331`, `UpdateFunctionConfiguration20150331v2`, `PublishLayerVersion20181031`, `ListDistributions2020_05_31`. Event sources whose prefix is not the IAM prefix: `monitoring` (cloudwatch), `email` (ses).
- Actions that need no permission: sts:GetCallerIdentity. PassRole is never an event: it is in CreateFunction20150331 (`role`) and RunInstances (`iamInstanceProfile`).
- The failed sign-ins of non-existent users carry the typed name (older CloudTrail behaviour; today's CloudTrail may write HIDDEN_DUE_TO_SECURITY_REASONS).
- Attacker addresses: 185.220.101.34 (dave's key, admin role), 185.220.101.77 (planted logins and key), 185.220.101.91 (account 999988887777), 193.32.162.45 (spraying), 45.33.18.77 (stolen instance credentials). Everything else comes from 203.0.113.x (office), 198.51.100.x (homes), 192.0.2.15 (CI), 54.240.197.10 (audit account's scanner), 10.0.x.x (instances) or AWS service names.
";
