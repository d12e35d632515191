-- purpose: Access keys created (iam CreateAccessKey, refused attempts included): by whom, for which user, from where, and how the new key was then used (calls, first and last use, source IPs, user agents).
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- The new key ID is cut from responseElements.accessKey.accessKeyId with split_part (no JSON
-- functions in polars SQL; json_extract_scalar in Athena/DuckDB). A key created for yourself
-- has no userName in the request: the creator's own user is meant.
-- string_agg(DISTINCT x, ',' ORDER BY x): in Athena use array_join(array_sort(array_agg(DISTINCT x)), ',').
-- Generated from queries/new_access_keys.sql by engines/athena/gen.py for Athena (engine 3) and Trino: do not edit.
-- Placeholders ${...} are filled as trailtrim fills them (the value, single quotes doubled).
WITH created AS (
  SELECT
    event_id,
    event_time,
    COALESCE(identity_arn, user_name) AS created_by,
    source_ip,
    user_agent,
    COALESCE(
      NULLIF(SPLIT_PART(SPLIT_PART(request_parameters, '"userName":"', 2), '"', 1), ''),
      user_name
    ) AS for_user,
    NULLIF(SPLIT_PART(SPLIT_PART(response_elements, '"accessKeyId":"', 2), '"', 1), '') AS new_access_key_id,
    error_code
  FROM events
  WHERE
    event_source = 'iam.amazonaws.com'
    AND event_name = 'CreateAccessKey'
    AND event_date >= '${from}'
    AND event_date <= '${to}'
), key_use AS (
  SELECT
    access_key_id,
    COUNT(*) AS calls,
    COUNT(
      DISTINCT CONCAT(CAST(event_source AS VARCHAR), CAST(':' AS VARCHAR), CAST(event_name AS VARCHAR))
    ) AS distinct_actions,
    MIN(event_time) AS first_used,
    MAX(event_time) AS last_used,
    ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(DISTINCT source_ip)), ',') AS used_from,
    ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(DISTINCT user_agent)), ' | ') AS used_with
  FROM events
  WHERE
    access_key_id LIKE 'AKIA%'
  GROUP BY
    access_key_id
)
SELECT
  c.event_time,
  c.created_by,
  c.source_ip,
  c.for_user,
  c.new_access_key_id,
  c.error_code,
  COALESCE(u.calls, 0) AS calls,
  COALESCE(u.distinct_actions, 0) AS distinct_actions,
  u.first_used,
  u.last_used,
  u.used_from,
  u.used_with,
  c.user_agent,
  c.event_id
FROM created AS c
LEFT JOIN key_use AS u
  ON u.access_key_id = c.new_access_key_id
ORDER BY
  c.event_time,
  c.event_id
