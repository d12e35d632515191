-- purpose: Who assumed which role (AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity), from which account, access key and IP, which session key it got, and what that session then did (calls, distinct actions, errors, source IPs).
-- param: role = *  only assumptions of this role ARN (* = every role)
-- param: include_services = false  true to also list the AssumeRole calls that AWS services (ec2, lambda, config...) make for their roles
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- The session is tied to its AssumeRole call by the temporary access key the call returned
-- (responseElements.credentials.accessKeyId): every later event signed with that key is the
-- session's. Polars SQL has no JSON functions, so the JSON fields are cut out of the text with
-- split_part (same in DuckDB and Athena; there json_extract_scalar(response_elements,
-- '$.credentials.accessKeyId') is the more robust form).
-- string_agg(DISTINCT x, ',' ORDER BY x) is DuckDB/Postgres syntax; in Athena use
-- array_join(array_sort(array_agg(DISTINCT x)), ',').
-- Generated from queries/role_assumption_chains.sql by engines/athena/gen.py for Athena (engine 3) and Trino: do not edit.
-- Placeholders ${...} are filled as trailtrim fills them (the value, single quotes doubled).
WITH assumptions AS (
  SELECT
    event_id,
    event_time,
    event_name,
    identity_type,
    COALESCE(
      identity_arn,
      CASE
        WHEN identity_type = 'AWSAccount'
        THEN CONCAT(CAST('account/' AS VARCHAR), CAST(account_id AS VARCHAR))
        WHEN identity_type = 'AWSService'
        THEN CONCAT(CAST('service/' AS VARCHAR), CAST(invoked_by AS VARCHAR))
        WHEN identity_type = 'SAMLUser'
        THEN CONCAT(CAST('saml/' AS VARCHAR), CAST(user_name AS VARCHAR))
        WHEN identity_type = 'WebIdentityUser'
        THEN CONCAT(CAST('web-identity/' AS VARCHAR), CAST(user_name AS VARCHAR))
        ELSE user_name
      END
    ) AS assumed_by,
    account_id AS caller_account,
    access_key_id AS caller_access_key,
    source_ip,
    user_agent,
    SPLIT_PART(SPLIT_PART(request_parameters, '"roleArn":"', 2), '"', 1) AS role_arn,
    SPLIT_PART(SPLIT_PART(request_parameters, '"roleSessionName":"', 2), '"', 1) AS role_session_name,
    NULLIF(SPLIT_PART(SPLIT_PART(response_elements, '"accessKeyId":"', 2), '"', 1), '') AS session_access_key,
    error_code
  FROM events
  WHERE
    event_source = 'sts.amazonaws.com'
    AND event_name IN ('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity')
    AND event_date >= '${from}'
    AND event_date <= '${to}'
), sessions AS (
  SELECT
    access_key_id,
    COUNT(*) AS session_calls,
    COUNT(
      DISTINCT CONCAT(CAST(event_source AS VARCHAR), CAST(':' AS VARCHAR), CAST(event_name AS VARCHAR))
    ) AS session_distinct_actions,
    SUM(CASE WHEN error_code IS NULL THEN 0 ELSE 1 END) AS session_errors,
    MIN(event_time) AS session_first_call,
    MAX(event_time) AS session_last_call,
    ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(DISTINCT source_ip)), ',') AS session_source_ips,
    ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(DISTINCT aws_region)), ',') AS session_regions
  FROM events
  WHERE
    access_key_id LIKE 'ASIA%'
  GROUP BY
    access_key_id
)
SELECT
  a.event_time,
  a.assumed_by,
  a.caller_account,
  a.caller_access_key,
  a.source_ip,
  a.event_name,
  a.role_arn,
  a.role_session_name,
  a.error_code,
  a.session_access_key,
  COALESCE(s.session_calls, 0) AS session_calls,
  COALESCE(s.session_distinct_actions, 0) AS session_distinct_actions,
  COALESCE(s.session_errors, 0) AS session_errors,
  s.session_first_call,
  s.session_last_call,
  s.session_source_ips,
  s.session_regions,
  a.user_agent,
  a.event_id
FROM assumptions AS a
LEFT JOIN sessions AS s
  ON s.access_key_id = a.session_access_key
WHERE
  (
    '${role}' = '*' OR a.role_arn = '${role}'
  )
  AND (
    '${include_services}' = 'true'
    OR a.identity_type IS NULL
    OR a.identity_type <> 'AWSService'
  )
ORDER BY
  a.event_time,
  a.event_id
