-- purpose: Error codes by principal and action, most frequent first: count, first and last time, source IPs.
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- Console sign-in failures have no errorCode; they are counted as 'ConsoleLoginFailure'.
-- string_agg(DISTINCT x, ',' ORDER BY x): in Athena use array_join(array_sort(array_agg(DISTINCT x)), ',').
SELECT
    COALESCE(error_code, 'ConsoleLoginFailure') AS error_code,
    COALESCE(identity_arn, CASE WHEN identity_type = 'AWSAccount' THEN 'account/' || account_id
                                WHEN identity_type = 'AWSService' THEN 'service/' || invoked_by
                                WHEN identity_type = 'SAMLUser' THEN 'saml/' || user_name
                                ELSE user_name END) AS caller,
    event_source,
    event_name,
    COUNT(*) AS errors,
    MIN(event_time) AS first_seen,
    MAX(event_time) AS last_seen,
    string_agg(DISTINCT source_ip, ',' ORDER BY source_ip) AS source_ips
FROM events
WHERE (error_code IS NOT NULL
       OR (event_name = 'ConsoleLogin' AND json_value(response_elements, 'ConsoleLogin') = 'Failure'))
  AND event_date >= '${from}'
  AND event_date <= '${to}'
GROUP BY 1, 2, 3, 4
ORDER BY errors DESC, error_code, caller, event_source, event_name
