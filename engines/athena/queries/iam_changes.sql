-- purpose: Every write call to IAM (Create/Delete/Put/Attach/Detach/Update/Add/Remove/Set/Tag/Untag/Upload/Change/Enable/Deactivate/Resync...), refused ones included: who, from where, with which parameters.
-- param: principal = *  only calls of this IAM user/role ARN or session ARN (* = everyone)
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- target: the user/role/group/policy the call names (first of the top-level userName, roleName,
-- groupName, policyArn, instanceProfileName of requestParameters; json_value is trailtrim's JSON
-- path function, json_extract_scalar in Athena/DuckDB).
-- Generated from queries/iam_changes.sql by engines/athena/gen.py for Athena (engine 3) and Trino: do not edit.
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
  access_key_id,
  source_ip,
  user_agent,
  event_name,
  COALESCE(
    COALESCE(
      JSON_EXTRACT_SCALAR(request_parameters, '$["userName"]'),
      NULLIF(JSON_FORMAT(JSON_EXTRACT(request_parameters, '$["userName"]')), 'null')
    ),
    COALESCE(
      JSON_EXTRACT_SCALAR(request_parameters, '$["roleName"]'),
      NULLIF(JSON_FORMAT(JSON_EXTRACT(request_parameters, '$["roleName"]')), 'null')
    ),
    COALESCE(
      JSON_EXTRACT_SCALAR(request_parameters, '$["groupName"]'),
      NULLIF(JSON_FORMAT(JSON_EXTRACT(request_parameters, '$["groupName"]')), 'null')
    ),
    COALESCE(
      JSON_EXTRACT_SCALAR(request_parameters, '$["policyArn"]'),
      NULLIF(JSON_FORMAT(JSON_EXTRACT(request_parameters, '$["policyArn"]')), 'null')
    ),
    COALESCE(
      JSON_EXTRACT_SCALAR(request_parameters, '$["instanceProfileName"]'),
      NULLIF(JSON_FORMAT(JSON_EXTRACT(request_parameters, '$["instanceProfileName"]')), 'null')
    )
  ) AS target,
  error_code,
  request_parameters,
  response_elements,
  event_id
FROM events
WHERE
  event_source = 'iam.amazonaws.com'
  AND (
    event_name LIKE 'Create%'
    OR event_name LIKE 'Delete%'
    OR event_name LIKE 'Put%'
    OR event_name LIKE 'Attach%'
    OR event_name LIKE 'Detach%'
    OR event_name LIKE 'Update%'
    OR event_name LIKE 'Add%'
    OR event_name LIKE 'Remove%'
    OR event_name LIKE 'Set%'
    OR event_name LIKE 'Tag%'
    OR event_name LIKE 'Untag%'
    OR event_name LIKE 'Upload%'
    OR event_name LIKE 'Change%'
    OR event_name LIKE 'Enable%'
    OR event_name LIKE 'Deactivate%'
    OR event_name LIKE 'Resync%'
  )
  AND (
    '${principal}' = '*'
    OR identity_arn = '${principal}'
    OR session_issuer_arn = '${principal}'
  )
  AND event_date >= '${from}'
  AND event_date <= '${to}'
ORDER BY
  event_time,
  event_id
