//! Synthetic principals for timing `recommend_all` (no timing inside; used by a benchmark and a
//! smoke test). Deterministic: a fixed linear congruential generator, no randomness source.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::{ObservedCall, PrincipalInput, PrincipalKind};
use crate::catalog::catalog;
use crate::policy::{parse_policy, NamedPolicy, PolicyKind, PolicySet};

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n.max(1) as u64) as usize
    }
}

const ACCOUNT: &str = "111122223333";
const T0: i64 = 1_767_225_600_000;
const DAY: i64 = 86_400_000;

fn policy(i: usize) -> NamedPolicy {
    // Every fifth principal is an administrator; the rest have typical application grants.
    let doc = if i.is_multiple_of(5) {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    } else {
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Data", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "s3:PutObject"],
             "Resource": ["arn:aws:s3:::data-bucket", "arn:aws:s3:::data-bucket/*"]},
            {"Sid": "Describe", "Effect": "Allow", "Action": ["ec2:Describe*", "cloudwatch:Get*", "logs:*"], "Resource": "*"},
            {"Sid": "Tables", "Effect": "Allow", "Action": "dynamodb:*",
             "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/*"},
            {"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/*"},
            {"Sid": "KeepSupport", "Effect": "Allow", "Action": "support:*", "Resource": "*"}
        ]})
    };
    NamedPolicy::new(
        format!("policy-{i}"),
        PolicyKind::Identity,
        parse_policy(&doc).expect("synthetic policy is valid"),
    )
}

/// `principals` principals with about `calls` distinct observed calls each.
pub fn synthetic_inputs(principals: usize, calls: usize) -> Vec<PrincipalInput> {
    let cat = catalog();
    let describe: Vec<String> = cat.expand("ec2:Describe*").iter().map(|a| a.full_name()).collect();
    let dynamo = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"];
    let mut rng = Lcg(42);
    (0..principals)
        .map(|i| {
            let kind = if i.is_multiple_of(3) { PrincipalKind::User } else { PrincipalKind::Role };
            let name = format!("principal-{i:04}");
            let arn = format!("arn:aws:iam::{ACCOUNT}:{}/{name}", kind.as_str());
            let mut observed = Vec::with_capacity(calls);
            for k in 0..calls {
                let first = T0 + rng.next(60) as i64 * DAY;
                let (action, resource) = match rng.next(10) {
                    0..=4 => (
                        "s3:GetObject".to_string(),
                        Some(format!(
                            "arn:aws:s3:::data-bucket/{}/{}/part-{k}.parquet",
                            ["reports", "raw", "exports"][rng.next(3)],
                            rng.next(12)
                        )),
                    ),
                    5 => ("s3:ListBucket".into(), Some("arn:aws:s3:::data-bucket".into())),
                    6 | 7 => (describe[rng.next(describe.len())].clone(), None),
                    8 => (
                        dynamo[rng.next(dynamo.len())].to_string(),
                        Some(format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/T{}", rng.next(20))),
                    ),
                    _ => ("iam:PassRole".into(), Some(format!("arn:aws:iam::{ACCOUNT}:role/worker-{}", rng.next(3)))),
                };
                observed.push(ObservedCall {
                    passed_to_service: (action == "iam:PassRole").then(|| "ec2.amazonaws.com".to_string()),
                    action,
                    resource,
                    count: 1 + rng.next(50) as u64,
                    first_seen_ms: first,
                    last_seen_ms: first + DAY,
                    sample_event_ids: vec![format!("evt-{i}-{k}")],
                    context: vec![("aws:RequestedRegion".into(), "us-east-1".into())],
                });
            }
            PrincipalInput {
                arn,
                kind,
                name,
                account: ACCOUNT.into(),
                policies: PolicySet { identity: vec![policy(i)], ..PolicySet::default() },
                resource_policies: BTreeMap::new(),
                created_ms: Some(T0 - 365 * DAY),
                observed,
                denied: Vec::new(),
                unobservable: BTreeSet::new(),
                incident_only: Vec::new(),
                window_start_ms: T0,
                window_end_ms: T0 + 90 * DAY,
            }
        })
        .collect()
}
