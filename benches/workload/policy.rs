//! Synthetic workloads for timing the engine (the caller measures; nothing here reads a clock).
//!
//! `synthetic_policy_set(i)` builds a realistic-looking principal: a few managed policies with
//! service wildcards, literal actions and scoped resources, an inline policy with conditions and
//! a deny, a boundary and two SCP levels. `synthetic_actions(n)` makes `n` action names spread
//! over 400 services.

use serde_json::json;

use trailtrim::policy::{
    evaluate, parse_policy, AccessIndex, Decision, NamedPolicy, PolicyKind, PolicySet, PrincipalInfo, Request,
};

const SERVICES: [&str; 12] =
    ["s3", "ec2", "iam", "lambda", "dynamodb", "sqs", "sns", "kms", "logs", "cloudwatch", "sts", "rds"];
const VERBS: [&str; 8] = ["Get", "List", "Describe", "Put", "Create", "Delete", "Update", "Tag"];

fn policy(name: &str, kind: PolicyKind, doc: serde_json::Value) -> NamedPolicy {
    NamedPolicy::new(name, kind, parse_policy(&doc).expect("synthetic policy parses"))
}

/// A principal's policy set; `i` varies the content.
pub fn synthetic_policy_set(i: usize) -> PolicySet {
    let s = |k: usize| SERVICES[(i + k) % SERVICES.len()];
    let v = |k: usize| VERBS[(i + k) % VERBS.len()];
    let managed_read = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow",
         "Action": [format!("{}:{}*", s(0), v(0)), format!("{}:{}*", s(1), v(1)), format!("{}:Describe*", s(2))],
         "Resource": "*"},
        {"Sid": "Scoped", "Effect": "Allow",
         "Action": [format!("{}:{}Object", s(3), v(3)), format!("{}:{}Item", s(4), v(4))],
         "Resource": [format!("arn:aws:{}:::bucket-{i}/*", s(3)), format!("arn:aws:{}:us-east-1:111122223333:table/t{i}", s(4))]}
    ]});
    let managed_admin_like = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": format!("{}:*", s(5)), "Resource": "*"},
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
    ]});
    let inline = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Home", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": "arn:aws:s3:::home/${aws:username}/*"},
        {"Sid": "Ip", "Effect": "Allow", "Action": format!("{}:{}*", s(6), v(6)), "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}},
        {"Sid": "NoDelete", "Effect": "Deny", "Action": format!("{}:Delete*", s(7)), "Resource": "*"}
    ]});
    let boundary = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}
    ]});
    let scp_root = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let scp_ou = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": ["organizations:LeaveOrganization", "account:*"], "Resource": "*"},
        {"Effect": "Deny", "NotAction": ["iam:*", "sts:*", "support:*"], "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}
    ]});
    PolicySet {
        identity: vec![
            policy("ManagedRead", PolicyKind::Identity, managed_read),
            policy("ManagedService", PolicyKind::Identity, managed_admin_like),
            policy("inline", PolicyKind::Identity, inline),
        ],
        boundaries: vec![policy("Boundary", PolicyKind::PermissionBoundary, boundary)],
        scps: vec![
            vec![policy("FullAWSAccess", PolicyKind::Scp, scp_root)],
            vec![policy("OuGuardrails", PolicyKind::Scp, scp_ou)],
        ],
        resource_policy: None,
        session_policies: vec![],
        ..PolicySet::default()
    }
}

/// `n` action names over 400 synthetic service prefixes (plus the real ones above).
pub fn synthetic_actions(n: usize) -> Vec<String> {
    (0..n)
        .map(|k| {
            let svc = if k % 5 == 0 { SERVICES[k % SERVICES.len()].to_string() } else { format!("svc{}", k % 400) };
            format!("{svc}:{}Thing{}", VERBS[k % VERBS.len()], k / 40)
        })
        .collect()
}

/// Access for every (set, action); returns counts of [None, Partial, Full].
pub fn bench_access(sets: &[PolicySet], actions: &[String]) -> [usize; 3] {
    let mut counts = [0usize; 3];
    for (i, set) in sets.iter().enumerate() {
        let who =
            PrincipalInfo { arn: format!("arn:aws:iam::111122223333:user/u{i}"), account: Some("111122223333".into()) };
        let idx = AccessIndex::new(set, &who);
        for a in actions {
            counts[idx.access(a) as usize] += 1;
        }
    }
    counts
}

/// Evaluate `n` requests (cycling over actions) against `set`; returns how many were allowed.
pub fn bench_evaluate(set: &PolicySet, actions: &[String], n: usize) -> usize {
    let mut req = Request {
        principal: "arn:aws:iam::111122223333:user/alice".into(),
        principal_account: Some("111122223333".into()),
        resource: "arn:aws:s3:::home/alice/file.txt".into(),
        resource_account: Some("111122223333".into()),
        ..Request::default()
    };
    req.context.insert("aws:username", "alice");
    req.context.insert("aws:SourceIp", "10.1.2.3");
    req.context.insert("aws:RequestedRegion", "us-east-1");
    let mut allowed = 0;
    for k in 0..n {
        req.action = actions[k % actions.len()].clone();
        if evaluate(set, &req).decision == Decision::Allow {
            allowed += 1;
        }
    }
    allowed
}
