-- purpose: Console sign-ins (signin ConsoleLogin): user, success or failure, whether MFA was used, source IP and user agent; failed sign-ins of unknown user names show the typed name.
-- param: user = *  only this user name, IAM user ARN, or 'root' (* = everyone)
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- Failures carry no errorCode, only responseElements {"ConsoleLogin":"Failure"} and
-- errorMessage "Failed authentication". MFA comes from additionalEventData.MFAUsed.
-- Federated (SAML/SSO) console sessions appear as AssumedRole with session_name.
-- Generated from queries/console_logins.sql by engines/athena/gen.py for Athena (engine 3) and Trino: do not edit.
-- Placeholders ${...} are filled as trailtrim fills them (the value, single quotes doubled).
SELECT
  event_time,
  COALESCE(user_name, session_name, CASE WHEN identity_type = 'Root' THEN 'root' END) AS user_name,
  identity_type,
  identity_arn,
  CASE
    WHEN COALESCE(
      JSON_EXTRACT_SCALAR(response_elements, '$["ConsoleLogin"]'),
      NULLIF(JSON_FORMAT(JSON_EXTRACT(response_elements, '$["ConsoleLogin"]')), 'null')
    ) = 'Success'
    THEN 'Success'
    WHEN COALESCE(
      JSON_EXTRACT_SCALAR(response_elements, '$["ConsoleLogin"]'),
      NULLIF(JSON_FORMAT(JSON_EXTRACT(response_elements, '$["ConsoleLogin"]')), 'null')
    ) = 'Failure'
    THEN 'Failure'
    WHEN NOT error_code IS NULL OR NOT error_message IS NULL
    THEN 'Failure'
    ELSE 'Unknown'
  END AS result,
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
  source_ip,
  user_agent,
  aws_region,
  error_message,
  event_id
FROM events
WHERE
  event_source = 'signin.amazonaws.com'
  AND event_name = 'ConsoleLogin'
  AND (
    '${user}' = '*'
    OR user_name = '${user}'
    OR identity_arn = '${user}'
    OR (
      '${user}' = 'root' AND identity_type = 'Root'
    )
  )
  AND event_date >= '${from}'
  AND event_date <= '${to}'
ORDER BY
  event_time,
  event_id
