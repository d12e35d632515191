-- purpose: Activity outside the expected regions, by region, principal and action: calls, errors, first and last time, source IPs.
-- param: regions = auto  comma-separated list of the regions the account is expected to use; auto = the usual regions of the lake (see usual_share)
-- param: usual_share = 0.5  with regions=auto, a region is usual when it has activity on at least this share of the days that have any activity in the window
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- By default the expected regions come from the lake itself: the regions used on most days of
-- the window (an attacker's region is used for hours or days, the account's own regions all
-- along). Name them with regions=... when the lake's history is short or mostly an incident.
-- Global services (IAM, STS global endpoint, CloudFront, Organizations, sign-in) log in
-- us-east-1, so keep us-east-1 in an explicit list. The membership test pads both sides with
-- commas: ',us-east-1,eu-west-1,' contains ',REGION,'. strpos exists in DuckDB and Athena too.
-- string_agg(DISTINCT x, ',' ORDER BY x): in Athena use array_join(array_sort(array_agg(DISTINCT x)), ',').
WITH window_events AS (
    SELECT * FROM events WHERE event_date >= '${from}' AND event_date <= '${to}'
),
region_days AS (
    SELECT aws_region, COUNT(DISTINCT event_date) AS active_days FROM window_events GROUP BY aws_region
),
all_days AS (
    SELECT COUNT(DISTINCT event_date) AS days FROM window_events
),
usual AS (
    SELECT r.aws_region FROM region_days r CROSS JOIN all_days a
    WHERE r.active_days >= CAST('${usual_share}' AS DOUBLE) * a.days
)
SELECT
    aws_region,
    COALESCE(identity_arn, CASE WHEN identity_type = 'AWSAccount' THEN 'account/' || account_id
                                WHEN identity_type = 'AWSService' THEN 'service/' || invoked_by
                                WHEN identity_type = 'SAMLUser' THEN 'saml/' || user_name
                                ELSE user_name END) AS caller,
    event_source,
    event_name,
    COUNT(*) AS calls,
    SUM(CASE WHEN error_code IS NULL THEN 0 ELSE 1 END) AS errors,
    MIN(event_time) AS first_seen,
    MAX(event_time) AS last_seen,
    string_agg(DISTINCT source_ip, ',' ORDER BY source_ip) AS source_ips,
    string_agg(DISTINCT error_code, ',' ORDER BY error_code) AS error_codes
FROM window_events
WHERE ('${regions}' = 'auto' AND aws_region NOT IN (SELECT aws_region FROM usual))
   OR ('${regions}' <> 'auto' AND strpos(',' || replace('${regions}', ' ', '') || ',', ',' || aws_region || ',') = 0)
GROUP BY 1, 2, 3, 4
ORDER BY aws_region, first_seen, caller, event_source, event_name
