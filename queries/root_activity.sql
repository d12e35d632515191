-- purpose: Every call made as the account root user (sign-ins included, with MFA use), in time order. Any root use is a finding.
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
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
        WHEN json_value(additional_event_data, 'MFAUsed') = 'Yes' THEN 'Yes'
        WHEN json_value(additional_event_data, 'MFAUsed') = 'No' THEN 'No'
        ELSE NULL
    END AS mfa_used,
    invoked_by,
    request_parameters,
    event_id
FROM events
WHERE identity_type = 'Root'
  AND event_date >= '${from}'
  AND event_date <= '${to}'
ORDER BY event_time, event_id
