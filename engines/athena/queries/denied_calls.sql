-- purpose: Refused calls (AccessDenied, AccessDeniedException, Client.UnauthorizedOperation, ...) with the message, the refused IAM action and resource, and which kind of policy refused it.
-- param: principal = *  only calls of this IAM user/role ARN or session ARN (* = everyone)
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- denied_action / denied_resource are cut from the message "... is not authorized to perform:
-- ACTION on resource: RESOURCE because/with ..."; null when the service wrote another text.
-- Generated from queries/denied_calls.sql by engines/athena/gen.py for Athena (engine 3) and Trino: do not edit.
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
  aws_region,
  event_source,
  event_name,
  error_code,
  NULLIF(SPLIT_PART(SPLIT_PART(error_message, 'authorized to perform: ', 2), ' ', 1), '') AS denied_action,
  NULLIF(
    REPLACE(SPLIT_PART(SPLIT_PART(error_message, ' on resource: ', 2), ' ', 1), '"', ''),
    ''
  ) AS denied_resource,
  CASE
    WHEN error_message LIKE '%explicit deny in a service control policy%'
    THEN 'explicit deny: SCP'
    WHEN error_message LIKE '%explicit deny in a resource control policy%'
    THEN 'explicit deny: RCP'
    WHEN error_message LIKE '%explicit deny in a resource-based policy%'
    THEN 'explicit deny: resource policy'
    WHEN error_message LIKE '%explicit deny in an identity-based policy%'
    THEN 'explicit deny: identity policy'
    WHEN error_message LIKE '%explicit deny in a permissions boundary%'
    THEN 'explicit deny: permissions boundary'
    WHEN error_message LIKE '%explicit deny in a session policy%'
    THEN 'explicit deny: session policy'
    WHEN error_message LIKE '%explicit deny%'
    THEN 'explicit deny'
    WHEN error_message LIKE '%no service control policy allows%'
    THEN 'no SCP allows'
    WHEN error_message LIKE '%no permissions boundary allows%'
    THEN 'no permissions boundary allows'
    WHEN error_message LIKE '%no session policy allows%'
    THEN 'no session policy allows'
    WHEN error_message LIKE '%no resource-based policy allows%'
    THEN 'no resource policy allows'
    WHEN error_message LIKE '%no identity-based policy allows%'
    THEN 'no identity policy allows'
    ELSE NULL
  END AS denied_by,
  error_message,
  user_agent,
  event_id
FROM events
WHERE
  (
    error_code LIKE '%AccessDenied%'
    OR error_code LIKE '%UnauthorizedOperation%'
    OR error_code LIKE '%Unauthorized%'
    OR error_code LIKE '%Forbidden%'
    OR error_code = 'AuthFailure'
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
