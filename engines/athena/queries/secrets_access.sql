-- purpose: Reads of secrets and parameters (Secrets Manager GetSecretValue/BatchGetSecretValue, SSM GetParameter/GetParameters/GetParametersByPath) by principal, source IP and action: calls, errors, distinct secrets, first and last time.
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- distinct_secrets counts the secretId / name / names / path values of the requests (read with
-- json_value; GetParameters with several names counts its whole list once).
-- string_agg(DISTINCT x, ',' ORDER BY x): in Athena use array_join(array_sort(array_agg(DISTINCT x)), ',').
-- Generated from queries/secrets_access.sql by engines/athena/gen.py for Athena (engine 3) and Trino: do not edit.
-- Placeholders ${...} are filled as trailtrim fills them (the value, single quotes doubled).
SELECT
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
  event_source,
  event_name,
  COUNT(*) AS calls,
  SUM(CASE WHEN error_code IS NULL THEN 0 ELSE 1 END) AS errors,
  COUNT(
    DISTINCT COALESCE(
      COALESCE(
        JSON_EXTRACT_SCALAR(request_parameters, '$["secretId"]'),
        NULLIF(JSON_FORMAT(JSON_EXTRACT(request_parameters, '$["secretId"]')), 'null')
      ),
      COALESCE(
        JSON_EXTRACT_SCALAR(request_parameters, '$["name"]'),
        NULLIF(JSON_FORMAT(JSON_EXTRACT(request_parameters, '$["name"]')), 'null')
      ),
      COALESCE(
        JSON_EXTRACT_SCALAR(request_parameters, '$["path"]'),
        NULLIF(JSON_FORMAT(JSON_EXTRACT(request_parameters, '$["path"]')), 'null')
      ),
      COALESCE(
        JSON_EXTRACT_SCALAR(request_parameters, '$["names"]'),
        NULLIF(JSON_FORMAT(JSON_EXTRACT(request_parameters, '$["names"]')), 'null')
      ),
      COALESCE(
        JSON_EXTRACT_SCALAR(request_parameters, '$["secretIdList"]'),
        NULLIF(JSON_FORMAT(JSON_EXTRACT(request_parameters, '$["secretIdList"]')), 'null')
      )
    )
  ) AS distinct_secrets,
  MIN(event_time) AS first_seen,
  MAX(event_time) AS last_seen,
  ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(DISTINCT user_agent)), ' | ') AS user_agents
FROM events
WHERE
  (
    (
      event_source = 'secretsmanager.amazonaws.com'
      AND event_name IN ('GetSecretValue', 'BatchGetSecretValue')
    )
    OR (
      event_source = 'ssm.amazonaws.com'
      AND event_name IN ('GetParameter', 'GetParameters', 'GetParametersByPath')
    )
  )
  AND event_date >= '${from}'
  AND event_date <= '${to}'
GROUP BY
  1,
  2,
  3,
  4
ORDER BY
  calls DESC,
  caller,
  source_ip,
  event_source,
  event_name
