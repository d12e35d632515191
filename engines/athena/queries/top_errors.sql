-- purpose: Error codes by principal and action, most frequent first: count, first and last time, source IPs.
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- Console sign-in failures have no errorCode; they are counted as 'ConsoleLoginFailure'.
-- string_agg(DISTINCT x, ',' ORDER BY x): in Athena use array_join(array_sort(array_agg(DISTINCT x)), ',').
-- Generated from queries/top_errors.sql by engines/athena/gen.py for Athena (engine 3) and Trino: do not edit.
-- Placeholders ${...} are filled as trailtrim fills them (the value, single quotes doubled).
SELECT
  COALESCE(error_code, 'ConsoleLoginFailure') AS error_code,
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
  event_source,
  event_name,
  COUNT(*) AS errors,
  MIN(event_time) AS first_seen,
  MAX(event_time) AS last_seen,
  ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(DISTINCT source_ip)), ',') AS source_ips
FROM events
WHERE
  (
    NOT error_code IS NULL
    OR (
      event_name = 'ConsoleLogin'
      AND COALESCE(
        JSON_EXTRACT_SCALAR(response_elements, '$["ConsoleLogin"]'),
        NULLIF(JSON_FORMAT(JSON_EXTRACT(response_elements, '$["ConsoleLogin"]')), 'null')
      ) = 'Failure'
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
  errors DESC,
  error_code,
  caller,
  event_source,
  event_name
