-- purpose: Every call of one principal in time order: an IAM user or role ARN (all its sessions), or one assumed-role session ARN; role ARNs also show who assumed the role.
-- param: principal  IAM user/role ARN (arn:aws:iam::ACCOUNT:user/NAME, ...:role/PATH/NAME) or session ARN (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION)
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- relation: 'self' = the principal's own call (identity_arn), 'session' = a session of the role
-- (session_issuer_arn), 'assumed' = an AssumeRole* call into the role made by someone else.
-- The date filter uses the partition column event_date (a string 'YYYY-MM-DD'), which also
-- prunes partitions in Athena/DuckDB.
-- Generated from queries/principal_timeline.sql by engines/athena/gen.py for Athena (engine 3) and Trino: do not edit.
-- Placeholders ${...} are filled as trailtrim fills them (the value, single quotes doubled).
SELECT
  event_time,
  CASE
    WHEN identity_arn = '${principal}'
    THEN 'self'
    WHEN session_issuer_arn = '${principal}'
    THEN 'session'
    ELSE 'assumed'
  END AS relation,
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
  access_key_id,
  source_ip,
  user_agent,
  invoked_by,
  aws_region,
  event_source,
  event_name,
  error_code,
  read_only,
  request_parameters,
  event_id
FROM events
WHERE
  (
    identity_arn = '${principal}'
    OR session_issuer_arn = '${principal}'
    OR (
      event_source = 'sts.amazonaws.com'
      AND event_name LIKE 'AssumeRole%'
      AND COALESCE(
        JSON_EXTRACT_SCALAR(request_parameters, '$["roleArn"]'),
        NULLIF(JSON_FORMAT(JSON_EXTRACT(request_parameters, '$["roleArn"]')), 'null')
      ) = '${principal}'
    )
  )
  AND event_date >= '${from}'
  AND event_date <= '${to}'
ORDER BY
  event_time,
  event_id
