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
-- Generated from queries/resource_exposure.sql by engines/athena/gen.py for Athena (engine 3) and Trino: do not edit.
-- Placeholders ${...} are filled as trailtrim fills them (the value, single quotes doubled).
SELECT
  event_time,
  COALESCE(
    identity_arn,
    CASE
      WHEN identity_type = 'AWSAccount'
      THEN CONCAT(CAST('account/' AS VARCHAR), CAST(account_id AS VARCHAR))
      WHEN identity_type = 'AWSService'
      THEN CONCAT(CAST('service/' AS VARCHAR), CAST(invoked_by AS VARCHAR))
      WHEN identity_type = 'SAMLUser'
      THEN CONCAT(CAST('saml/' AS VARCHAR), CAST(user_name AS VARCHAR))
      ELSE user_name
    END
  ) AS caller,
  source_ip,
  aws_region,
  event_source,
  event_name,
  error_code,
  CASE
    WHEN REGEXP_LIKE(request_parameters, '\\?"(?i:group)\\?"\s*:\s*(\[[^\]]*)?\\?"all\\?"')
    OR REGEXP_LIKE(request_parameters, '\\?"(?i:valuesToAdd)\\?"\s*:\s*(\[[^\]]*)?\\?"all\\?"')
    OR REGEXP_LIKE(request_parameters, '\\?"(?i:Principal)\\?"\s*:\s*(\[[^\]]*)?\\?"\*\\?"')
    OR REGEXP_LIKE(request_parameters, '\\?"(?i:AWS)\\?"\s*:\s*(\[[^\]]*)?\\?"\*\\?"')
    OR REGEXP_LIKE(request_parameters, '\\?"(?i:cidrIp)\\?"\s*:\s*(\[[^\]]*)?\\?"0\.0\.0\.0\/0\\?"')
    OR REGEXP_LIKE(request_parameters, '\\?"(?i:cidrIpv6)\\?"\s*:\s*(\[[^\]]*)?\\?"::\/0\\?"')
    OR REGEXP_LIKE(
      request_parameters,
      '\\?"(?i:cidrBlock)\\?"\s*:\s*(\[[^\]]*)?\\?"0\.0\.0\.0\/0\\?"'
    )
    OR REGEXP_LIKE(request_parameters, '\\?"(?i:ipv6CidrBlock)\\?"\s*:\s*(\[[^\]]*)?\\?"::\/0\\?"')
    OR REGEXP_LIKE(
      request_parameters,
      '\\?"(?i:URI)\\?"\s*:\s*(\[[^\]]*)?\\?"http:\/\/acs\.amazonaws\.com\/groups\/global\/AllUsers\\?"'
    )
    OR REGEXP_LIKE(
      request_parameters,
      '\\?"(?i:URI)\\?"\s*:\s*(\[[^\]]*)?\\?"http:\/\/acs\.amazonaws\.com\/groups\/global\/AuthenticatedUsers\\?"'
    )
    OR REGEXP_LIKE(request_parameters, '\\?"(?i:x-amz-acl)\\?"\s*:\s*(\[[^\]]*)?\\?"public-read\\?"')
    OR REGEXP_LIKE(
      request_parameters,
      '\\?"(?i:x-amz-acl)\\?"\s*:\s*(\[[^\]]*)?\\?"public-read-write\\?"'
    )
    OR event_name = 'DeleteBucketPublicAccessBlock'
    OR event_name = 'DeleteAccountPublicAccessBlock'
    OR (
      event_name IN ('PutBucketPublicAccessBlock', 'PutAccountPublicAccessBlock')
      AND (
        COALESCE(
          JSON_EXTRACT_SCALAR(request_parameters, '$["PublicAccessBlockConfiguration"]["BlockPublicAcls"]'),
          NULLIF(
            JSON_FORMAT(
              JSON_EXTRACT(request_parameters, '$["PublicAccessBlockConfiguration"]["BlockPublicAcls"]')
            ),
            'null'
          )
        ) = 'false'
        OR COALESCE(
          JSON_EXTRACT_SCALAR(request_parameters, '$["PublicAccessBlockConfiguration"]["IgnorePublicAcls"]'),
          NULLIF(
            JSON_FORMAT(
              JSON_EXTRACT(request_parameters, '$["PublicAccessBlockConfiguration"]["IgnorePublicAcls"]')
            ),
            'null'
          )
        ) = 'false'
        OR COALESCE(
          JSON_EXTRACT_SCALAR(request_parameters, '$["PublicAccessBlockConfiguration"]["BlockPublicPolicy"]'),
          NULLIF(
            JSON_FORMAT(
              JSON_EXTRACT(request_parameters, '$["PublicAccessBlockConfiguration"]["BlockPublicPolicy"]')
            ),
            'null'
          )
        ) = 'false'
        OR COALESCE(
          JSON_EXTRACT_SCALAR(request_parameters, '$["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"]'),
          NULLIF(
            JSON_FORMAT(
              JSON_EXTRACT(request_parameters, '$["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"]')
            ),
            'null'
          )
        ) = 'false'
      )
    )
    THEN TRUE
    ELSE FALSE
  END AS public,
  request_parameters,
  event_id
FROM events
WHERE
  (
    (
      event_source = 'ec2.amazonaws.com'
      AND event_name IN (
        'ModifySnapshotAttribute',
        'ModifyImageAttribute',
        'AuthorizeSecurityGroupIngress',
        'CreateNetworkAclEntry',
        'ReplaceNetworkAclEntry'
      )
    )
    OR (
      event_source = 'rds.amazonaws.com'
      AND event_name IN ('ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute')
    )
    OR (
      event_source = 's3.amazonaws.com'
      AND event_name IN (
        'PutBucketPolicy',
        'PutBucketAcl',
        'PutObjectAcl',
        'DeleteBucketPublicAccessBlock',
        'PutBucketPublicAccessBlock',
        'PutBucketWebsite'
      )
    )
    OR (
      event_source = 's3-control.amazonaws.com'
      AND event_name IN ('PutAccountPublicAccessBlock', 'DeleteAccountPublicAccessBlock')
    )
    OR (
      event_source = 'lambda.amazonaws.com'
      AND (
        event_name LIKE 'AddPermission%'
        OR event_name LIKE 'AddLayerVersionPermission%'
        OR event_name LIKE 'CreateFunctionUrlConfig%'
      )
    )
    OR (
      event_source = 'sns.amazonaws.com'
      AND event_name IN ('AddPermission', 'SetTopicAttributes')
    )
    OR (
      event_source = 'sqs.amazonaws.com'
      AND event_name IN ('AddPermission', 'SetQueueAttributes')
    )
    OR (
      event_source = 'kms.amazonaws.com'
      AND event_name IN ('PutKeyPolicy', 'CreateGrant')
    )
    OR (
      event_source = 'secretsmanager.amazonaws.com'
      AND event_name = 'PutResourcePolicy'
    )
    OR (
      event_source = 'ecr.amazonaws.com' AND event_name = 'SetRepositoryPolicy'
    )
    OR (
      event_source = 'iam.amazonaws.com' AND event_name = 'UpdateAssumeRolePolicy'
    )
  )
  AND event_date >= '${from}'
  AND event_date <= '${to}'
ORDER BY
  event_time,
  event_id
