-- purpose: Every call made as the account root user (sign-ins included, with MFA use), in time order. Any root use is a finding.
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
-- Generated from queries/root_activity.sql by engines/athena/gen.py for Athena (engine 3) and Trino: do not edit.
-- Placeholders ${...} are filled as trailtrim fills them (the value, single quotes doubled).
SELECT
  event_time,
  recipient_account_id,
  source_ip,
  user_agent,
  access_key_id,
  aws_region,
  event_source,
  event_name,
  error_code,
  CASE
    WHEN COALESCE(
      JSON_EXTRACT_SCALAR(additional_event_data, '$["MFAUsed"]'),
      NULLIF(JSON_FORMAT(JSON_EXTRACT(additional_event_data, '$["MFAUsed"]')), 'null')
    ) = 'Yes'
    THEN 'Yes'
    WHEN COALESCE(
      JSON_EXTRACT_SCALAR(additional_event_data, '$["MFAUsed"]'),
      NULLIF(JSON_FORMAT(JSON_EXTRACT(additional_event_data, '$["MFAUsed"]')), 'null')
    ) = 'No'
    THEN 'No'
    ELSE NULL
  END AS mfa_used,
  invoked_by,
  request_parameters,
  event_id
FROM events
WHERE
  identity_type = 'Root' AND event_date >= '${from}' AND event_date <= '${to}'
ORDER BY
  event_time,
  event_id
