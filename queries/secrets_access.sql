-- purpose: Reads of secrets and parameters (Secrets Manager GetSecretValue/BatchGetSecretValue, SSM GetParameter/GetParameters/GetParametersByPath) by principal, source IP and action: calls, errors, distinct secrets, first and last time.
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- distinct_secrets counts the secretId / name / names / path values of the requests (read with
-- json_value; GetParameters with several names counts its whole list once).
-- string_agg(DISTINCT x, ',' ORDER BY x): in Athena use array_join(array_sort(array_agg(DISTINCT x)), ',').
SELECT
    COALESCE(identity_arn, CASE WHEN identity_type = 'AWSAccount' THEN 'account/' || account_id
                                WHEN identity_type = 'AWSService' THEN 'service/' || invoked_by
                                WHEN identity_type = 'SAMLUser' THEN 'saml/' || user_name
                                ELSE user_name END) AS caller,
    source_ip,
    event_source,
    event_name,
    COUNT(*) AS calls,
    SUM(CASE WHEN error_code IS NULL THEN 0 ELSE 1 END) AS errors,
    COUNT(DISTINCT COALESCE(json_value(request_parameters, 'secretId'),
                            json_value(request_parameters, 'name'),
                            json_value(request_parameters, 'path'),
                            json_value(request_parameters, 'names'),
                            json_value(request_parameters, 'secretIdList'))) AS distinct_secrets,
    MIN(event_time) AS first_seen,
    MAX(event_time) AS last_seen,
    string_agg(DISTINCT user_agent, ' | ' ORDER BY user_agent) AS user_agents
FROM events
WHERE ((event_source = 'secretsmanager.amazonaws.com'
        AND event_name IN ('GetSecretValue', 'BatchGetSecretValue'))
    OR (event_source = 'ssm.amazonaws.com'
        AND event_name IN ('GetParameter', 'GetParameters', 'GetParametersByPath')))
  AND event_date >= '${from}'
  AND event_date <= '${to}'
GROUP BY 1, 2, 3, 4
ORDER BY calls DESC, caller, source_ip, event_source, event_name
