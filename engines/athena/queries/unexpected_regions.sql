-- purpose: Activity outside the expected regions, by region, principal and action: calls, errors, first and last time, source IPs.
-- param: regions = auto  comma-separated list of the regions the account is expected to use; auto = the usual regions of the lake (see usual_share)
-- param: usual_share = 0.5  with regions=auto, a region is usual when it has activity on at least this share of the days that have any activity in the window
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- By default the expected regions come from the lake itself: the regions used on most days of
-- the window (an attacker's region is used for hours or days, the account's own regions all
-- along). Name them with regions=... when the lake's history is short or mostly an incident.
-- Global services (IAM, STS global endpoint, CloudFront, Organizations, sign-in) log in
-- us-east-1, so keep us-east-1 in an explicit list. The membership test pads both sides with
-- commas: ',us-east-1,eu-west-1,' contains ',REGION,'. strpos exists in DuckDB and Athena too.
-- string_agg(DISTINCT x, ',' ORDER BY x): in Athena use array_join(array_sort(array_agg(DISTINCT x)), ',').
-- Generated from queries/unexpected_regions.sql by engines/athena/gen.py for Athena (engine 3) and Trino: do not edit.
-- Placeholders ${...} are filled as trailtrim fills them (the value, single quotes doubled).
WITH window_events AS (
  SELECT
    *
  FROM events
  WHERE
    event_date >= '${from}' AND event_date <= '${to}'
), region_days AS (
  SELECT
    aws_region,
    COUNT(DISTINCT event_date) AS active_days
  FROM window_events
  GROUP BY
    aws_region
), all_days AS (
  SELECT
    COUNT(DISTINCT event_date) AS days
  FROM window_events
), usual AS (
  SELECT
    r.aws_region
  FROM region_days AS r
  CROSS JOIN all_days AS a
  WHERE
    r.active_days >= CAST('${usual_share}' AS DOUBLE) * a.days
)
SELECT
  aws_region,
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
  COUNT(*) AS calls,
  SUM(CASE WHEN error_code IS NULL THEN 0 ELSE 1 END) AS errors,
  MIN(event_time) AS first_seen,
  MAX(event_time) AS last_seen,
  ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(DISTINCT source_ip)), ',') AS source_ips,
  ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(DISTINCT error_code)), ',') AS error_codes
FROM window_events
WHERE
  (
    '${regions}' = 'auto'
    AND NOT aws_region IN (
      SELECT
        aws_region
      FROM usual
    )
  )
  OR (
    '${regions}' <> 'auto'
    AND STRPOS(
      CONCAT(
        CAST(',' AS VARCHAR),
        CAST(REPLACE('${regions}', ' ', '') AS VARCHAR),
        CAST(',' AS VARCHAR)
      ),
      CONCAT(CAST(',' AS VARCHAR), CAST(aws_region AS VARCHAR), CAST(',' AS VARCHAR))
    ) = 0
  )
GROUP BY
  1,
  2,
  3,
  4
ORDER BY
  aws_region,
  first_seen,
  caller,
  event_source,
  event_name
