//! Which IAM actions CloudTrail can show.
//!
//! * Data events: recorded only when a trail or event data store enables data events for the
//!   resource type (AWS CloudTrail User Guide, "Logging data events", table of data event
//!   resource types: S3 objects, Lambda Invoke, DynamoDB items and streams, SNS Publish, SQS
//!   messages, Kinesis records, S3 Object Lambda, S3 Express One Zone, ...). A trail without them
//!   cannot tell "unused" from "not logged".
//! * Unobservable: actions CloudTrail never records as events of their own. The list is
//!   deliberately conservative: data planes whose requests are logged elsewhere, if at all
//!   (CloudWatch Logs ingestion `logs:PutLogEvents`, API Gateway
//!   `execute-api`, OpenSearch HTTP `es:ESHttp*`, EFS NFS `elasticfilesystem:Client*`, IoT MQTT
//!   `iot:Connect/Publish/Subscribe/Receive`, RDS IAM database auth `rds-db:connect`, AppSync
//!   `appsync:GraphQL`), each described as such in the service's CloudTrail documentation.
//!   `iam:PassRole` is never an event either, but it is not unobservable here: the mapping infers
//!   it from every request that passes a role, so a principal that never did is reported unused.

use crate::catalog::wildcard_match;

/// Canonical action names (or lower-case wildcard patterns) recorded only as data events.
const DATA_EVENT_ACTIONS: &[&str] = &[
    // S3 object-level API (and listing, which CloudTrail records as data events).
    "s3:getobject*",
    "s3:putobject*",
    "s3:deleteobject*",
    "s3:restoreobject",
    "s3:abortmultipartupload",
    "s3:listmultipartuploadparts",
    "s3:listbucket",
    "s3:listbucketversions",
    "s3:listbucketmultipartuploads",
    "s3:bypassgovernanceretention",
    "s3:replicate*",
    "s3-object-lambda:*",
    "s3express:createsession",
    // Lambda.
    "lambda:invokefunction",
    "lambda:invokefunctionurl",
    "lambda:invokeasync",
    // DynamoDB items and streams.
    "dynamodb:getitem",
    "dynamodb:batchgetitem",
    "dynamodb:putitem",
    "dynamodb:updateitem",
    "dynamodb:deleteitem",
    "dynamodb:batchwriteitem",
    "dynamodb:query",
    "dynamodb:scan",
    "dynamodb:conditioncheckitem",
    "dynamodb:partiql*",
    "dynamodb:getrecords",
    "dynamodb:getsharditerator",
    "dynamodb:describestream",
    "dynamodb:liststreams",
    // SNS and SQS messages.
    "sns:publish",
    "sqs:sendmessage",
    "sqs:receivemessage",
    "sqs:deletemessage",
    "sqs:changemessagevisibility",
    // Kinesis Data Streams records.
    "kinesis:getrecords",
    "kinesis:getsharditerator",
    "kinesis:putrecord",
    "kinesis:putrecords",
    "kinesis:subscribetoshard",
    // CloudTrail Lake ingestion of custom events.
    "cloudtrail-data:putauditevents",
];

/// Actions CloudTrail does not record at all (lower-case patterns).
const UNOBSERVABLE_ACTIONS: &[&str] = &[
    "logs:putlogevents",
    "execute-api:*",
    "es:eshttp*",
    "elasticfilesystem:client*",
    "iot:connect",
    "iot:publish",
    "iot:subscribe",
    "iot:receive",
    "iot:retainpublish",
    "rds-db:connect",
    "appsync:graphql",
];

fn matches_any(patterns: &[&str], action: &str) -> bool {
    let lower = action.to_ascii_lowercase();
    patterns.iter().any(|p| wildcard_match(p, &lower))
}

/// Whether an action is recorded only as a CloudTrail data event.
pub fn is_data_event_action(action: &str) -> bool {
    matches_any(DATA_EVENT_ACTIONS, action)
}

/// Whether CloudTrail never records an action (see the module documentation for the source).
pub fn is_unobservable(action: &str) -> bool {
    matches_any(UNOBSERVABLE_ACTIONS, action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::catalog;

    #[test]
    fn data_events() {
        for a in [
            "s3:GetObject",
            "s3:PutObjectAcl",
            "lambda:InvokeFunction",
            "dynamodb:Query",
            "sqs:SendMessage",
            "s3:ListBucket",
        ] {
            assert!(is_data_event_action(a), "{a}");
        }
        for a in ["s3:CreateBucket", "s3:ListAllMyBuckets", "kms:Decrypt", "dynamodb:CreateTable", "iam:PassRole"] {
            assert!(!is_data_event_action(a), "{a}");
        }
    }

    #[test]
    fn unobservable() {
        assert!(!is_unobservable("iam:PassRole"), "inferred from the calls that pass a role");
        assert!(is_unobservable("logs:PutLogEvents"));
        assert!(is_unobservable("execute-api:Invoke"));
        assert!(is_unobservable("es:ESHttpGet"));
        assert!(!is_unobservable("s3:GetObject"));
        assert!(!is_unobservable("iam:CreateRole"));
    }

    #[test]
    fn every_pattern_matches_a_catalog_action() {
        let cat = catalog();
        for p in DATA_EVENT_ACTIONS.iter().chain(UNOBSERVABLE_ACTIONS) {
            assert!(!cat.expand(p).is_empty(), "pattern {p} matches no catalog action");
        }
    }
}
