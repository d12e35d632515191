-- purpose: Every call from one source address (or a LIKE pattern such as 185.220.101.%) in time order, with the principal and key that made it.
-- param: ip  source IP address, or a SQL LIKE pattern (185.220.101.%); AWS services appear by name (athena.amazonaws.com)
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
-- Generated from queries/source_ip_timeline.sql by engines/athena/gen.py for Athena (engine 3) and Trino: do not edit.
-- Placeholders ${...} are filled as trailtrim fills them (the value, single quotes doubled).
SELECT
  event_time,
  source_ip,
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
  identity_type,
  access_key_id,
  user_agent,
  aws_region,
  event_source,
  event_name,
  error_code,
  read_only,
  request_parameters,
  event_id
FROM events
WHERE
  source_ip LIKE '${ip}' AND event_date >= '${from}' AND event_date <= '${to}'
ORDER BY
  event_time,
  event_id
