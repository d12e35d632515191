-- purpose: EC2 instance-role credentials used from outside AWS: calls by instance-profile sessions (ec2RoleDelivery set or session named i-...) from a public address that is not an AWS service and not through a VPC endpoint.
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- Instances call from private addresses (10/8, 172.16/12, 192.168/16), through VPC endpoints,
-- or from the public addresses of the instance (not known here: check source_ip against the
-- instance's Elastic/public IP before concluding). AWS services acting for the role show their
-- host name as source IP. string_agg: in Athena use array_join(array_sort(array_agg(DISTINCT x)), ',').
-- Generated from queries/instance_credentials_outside.sql by engines/athena/gen.py for Athena (engine 3) and Trino: do not edit.
-- Placeholders ${...} are filled as trailtrim fills them (the value, single quotes doubled).
SELECT
  identity_arn AS session_arn,
  access_key_id,
  source_ip,
  COUNT(*) AS calls,
  SUM(CASE WHEN error_code IS NULL THEN 0 ELSE 1 END) AS errors,
  COUNT(
    DISTINCT CONCAT(CAST(event_source AS VARCHAR), CAST(':' AS VARCHAR), CAST(event_name AS VARCHAR))
  ) AS distinct_actions,
  MIN(event_time) AS first_seen,
  MAX(event_time) AS last_seen,
  ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(DISTINCT event_name)), ',') AS actions,
  ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(DISTINCT user_agent)), ' | ') AS user_agents
FROM events
WHERE
  identity_type = 'AssumedRole'
  AND (
    NOT ec2_role_delivery IS NULL OR session_name LIKE 'i-%'
  )
  AND vpc_endpoint_id IS NULL
  AND source_ip NOT LIKE '%amazonaws.com'
  AND source_ip NOT LIKE '10.%'
  AND source_ip NOT LIKE '192.168.%'
  AND NOT (
    source_ip LIKE '172.%'
    AND SPLIT_PART(source_ip, '.', 2) IN (
      '16',
      '17',
      '18',
      '19',
      '20',
      '21',
      '22',
      '23',
      '24',
      '25',
      '26',
      '27',
      '28',
      '29',
      '30',
      '31'
    )
  )
  AND source_ip <> 'AWS Internal'
  AND event_date >= '${from}'
  AND event_date <= '${to}'
GROUP BY
  1,
  2,
  3
ORDER BY
  first_seen,
  session_arn,
  access_key_id,
  source_ip
