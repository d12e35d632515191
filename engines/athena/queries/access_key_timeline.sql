-- purpose: Every call signed with one access key (AKIA... long-term or ASIA... session key) in time order, plus the calls that issued or managed the key (AssumeRole*/GetSessionToken/CreateAccessKey returning it, UpdateAccessKey/DeleteAccessKey naming it).
-- param: access_key_id  the access key ID (AKIA... or ASIA...)
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- relation: 'used' = signed with the key, 'issued' = the response returned the key,
-- 'managed' = the request named the key.
-- Generated from queries/access_key_timeline.sql by engines/athena/gen.py for Athena (engine 3) and Trino: do not edit.
-- Placeholders ${...} are filled as trailtrim fills them (the value, single quotes doubled).
SELECT
  event_time,
  CASE
    WHEN access_key_id = '${access_key_id}'
    THEN 'used'
    WHEN REGEXP_LIKE(
      response_elements,
      '\\?"(?i:accessKeyId)\\?"\s*:\s*(\[[^\]]*)?\\?"${access_key_id}\\?"'
    )
    THEN 'issued'
    ELSE 'managed'
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
  source_ip,
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
  (
    access_key_id = '${access_key_id}'
    OR REGEXP_LIKE(
      response_elements,
      '\\?"(?i:accessKeyId)\\?"\s*:\s*(\[[^\]]*)?\\?"${access_key_id}\\?"'
    )
    OR REGEXP_LIKE(
      request_parameters,
      '\\?"(?i:accessKeyId)\\?"\s*:\s*(\[[^\]]*)?\\?"${access_key_id}\\?"'
    )
  )
  AND event_date >= '${from}'
  AND event_date <= '${to}'
ORDER BY
  event_time,
  event_id
