-- purpose: Every call signed with one access key (AKIA... long-term or ASIA... session key) in time order, plus the calls that issued or managed the key (AssumeRole*/GetSessionToken/CreateAccessKey returning it, UpdateAccessKey/DeleteAccessKey naming it).
-- param: access_key_id  the access key ID (AKIA... or ASIA...)
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- relation: 'used' = signed with the key, 'issued' = the response returned the key,
-- 'managed' = the request named the key.
SELECT
    event_time,
    CASE
        WHEN access_key_id = '${access_key_id}' THEN 'used'
        WHEN json_has(response_elements, 'accessKeyId', '${access_key_id}') THEN 'issued'
        ELSE 'managed'
    END AS relation,
    COALESCE(identity_arn, CASE WHEN identity_type = 'AWSAccount' THEN 'account/' || account_id
                                WHEN identity_type = 'AWSService' THEN 'service/' || invoked_by
                                WHEN identity_type = 'SAMLUser' THEN 'saml/' || user_name
                                ELSE user_name END) AS caller,
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
WHERE (access_key_id = '${access_key_id}'
       OR json_has(response_elements, 'accessKeyId', '${access_key_id}')
       OR json_has(request_parameters, 'accessKeyId', '${access_key_id}'))
  AND event_date >= '${from}'
  AND event_date <= '${to}'
ORDER BY event_time, event_id
