-- purpose: For each principal, every source IP it called from: first and last time, calls, errors, user agents. A new address late in the window next to a long-known one is the classic stolen-credential sign.
-- param: principal = *  only this IAM user/role ARN (all its sessions) or session ARN (* = everyone)
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- Sessions are grouped under their role (session_issuer_arn) so one row covers every session
-- of a role from that address. string_agg: in Athena use array_join(array_sort(array_agg(DISTINCT x)), ',').
-- Generated from queries/source_ips_by_principal.sql by engines/athena/gen.py for Athena (engine 3) and Trino: do not edit.
-- Placeholders ${...} are filled as trailtrim fills them (the value, single quotes doubled).
SELECT
  COALESCE(
    session_issuer_arn,
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
  ) AS principal,
  source_ip,
  MIN(event_time) AS first_seen,
  MAX(event_time) AS last_seen,
  COUNT(*) AS calls,
  SUM(CASE WHEN error_code IS NULL THEN 0 ELSE 1 END) AS errors,
  COUNT(DISTINCT access_key_id) AS access_keys,
  ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(DISTINCT user_agent)), ' | ') AS user_agents
FROM events
WHERE
  (
    '${principal}' = '*'
    OR identity_arn = '${principal}'
    OR session_issuer_arn = '${principal}'
  )
  AND event_date >= '${from}'
  AND event_date <= '${to}'
GROUP BY
  1,
  2
ORDER BY
  principal,
  first_seen,
  source_ip
