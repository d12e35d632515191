-- purpose: Calls that share or open resources to others: snapshot/AMI/DB snapshot permissions, bucket policies/ACLs/public access blocks, security group ingress, resource policies of Lambda/SNS/SQS/KMS/Secrets Manager/ECR, role trust policies; flags public (all, *, 0.0.0.0/0) grants.
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- public: read from the request's JSON (json_has matches a key and a literal value anywhere in
-- the request, including policies held as JSON text): group "all" (EC2 snapshots/AMIs), valuesToAdd
-- "all" (RDS), a Principal or AWS principal "*" (policies; Lambda's principal), 0.0.0.0/0 or ::/0,
-- the AllUsers/AuthenticatedUsers grantees or a public canned ACL, or a public access block turned
-- off (a flag false) or deleted. A grant to one named account is not public. It is a hint for
-- triage, not a policy evaluation (conditions are not read).
SELECT
    event_time,
    COALESCE(identity_arn, CASE WHEN identity_type = 'AWSAccount' THEN 'account/' || account_id
                                WHEN identity_type = 'AWSService' THEN 'service/' || invoked_by
                                WHEN identity_type = 'SAMLUser' THEN 'saml/' || user_name
                                ELSE user_name END) AS caller,
    source_ip,
    aws_region,
    event_source,
    event_name,
    error_code,
    CASE
        WHEN json_has(request_parameters, 'group', 'all')
          OR json_has(request_parameters, 'valuesToAdd', 'all')
          OR json_has(request_parameters, 'Principal', '*')
          OR json_has(request_parameters, 'AWS', '*')
          OR json_has(request_parameters, 'cidrIp', '0.0.0.0/0')
          OR json_has(request_parameters, 'cidrIpv6', '::/0')
          OR json_has(request_parameters, 'cidrBlock', '0.0.0.0/0')
          OR json_has(request_parameters, 'ipv6CidrBlock', '::/0')
          OR json_has(request_parameters, 'URI', 'http://acs.amazonaws.com/groups/global/AllUsers')
          OR json_has(request_parameters, 'URI', 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers')
          OR json_has(request_parameters, 'x-amz-acl', 'public-read')
          OR json_has(request_parameters, 'x-amz-acl', 'public-read-write')
          OR event_name = 'DeleteBucketPublicAccessBlock'
          OR event_name = 'DeleteAccountPublicAccessBlock'
          OR (event_name IN ('PutBucketPublicAccessBlock', 'PutAccountPublicAccessBlock')
              AND (json_value(request_parameters, 'PublicAccessBlockConfiguration.BlockPublicAcls') = 'false'
                   OR json_value(request_parameters, 'PublicAccessBlockConfiguration.IgnorePublicAcls') = 'false'
                   OR json_value(request_parameters, 'PublicAccessBlockConfiguration.BlockPublicPolicy') = 'false'
                   OR json_value(request_parameters, 'PublicAccessBlockConfiguration.RestrictPublicBuckets') = 'false'))
        THEN true
        ELSE false
    END AS public,
    request_parameters,
    event_id
FROM events
WHERE ((event_source = 'ec2.amazonaws.com'
        AND event_name IN ('ModifySnapshotAttribute', 'ModifyImageAttribute', 'AuthorizeSecurityGroupIngress',
                           'CreateNetworkAclEntry', 'ReplaceNetworkAclEntry'))
    OR (event_source = 'rds.amazonaws.com'
        AND event_name IN ('ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'))
    OR (event_source = 's3.amazonaws.com'
        AND event_name IN ('PutBucketPolicy', 'PutBucketAcl', 'PutObjectAcl', 'DeleteBucketPublicAccessBlock',
                           'PutBucketPublicAccessBlock', 'PutBucketWebsite'))
    OR (event_source = 's3-control.amazonaws.com'
        AND event_name IN ('PutAccountPublicAccessBlock', 'DeleteAccountPublicAccessBlock'))
    OR (event_source = 'lambda.amazonaws.com'
        AND (event_name LIKE 'AddPermission%' OR event_name LIKE 'AddLayerVersionPermission%'
             OR event_name LIKE 'CreateFunctionUrlConfig%'))
    OR (event_source = 'sns.amazonaws.com' AND event_name IN ('AddPermission', 'SetTopicAttributes'))
    OR (event_source = 'sqs.amazonaws.com' AND event_name IN ('AddPermission', 'SetQueueAttributes'))
    OR (event_source = 'kms.amazonaws.com' AND event_name IN ('PutKeyPolicy', 'CreateGrant'))
    OR (event_source = 'secretsmanager.amazonaws.com' AND event_name = 'PutResourcePolicy')
    OR (event_source = 'ecr.amazonaws.com' AND event_name = 'SetRepositoryPolicy')
    OR (event_source = 'iam.amazonaws.com' AND event_name = 'UpdateAssumeRolePolicy'))
  AND event_date >= '${from}'
  AND event_date <= '${to}'
ORDER BY event_time, event_id
