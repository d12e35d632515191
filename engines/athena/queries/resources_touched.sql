-- purpose: Distinct resources a principal touched: ARNs from the event's resources list and names cut from the request (bucketName, userName, roleName, policyArn, roleArn, functionName, secretId, tableName, instanceId...), with calls, errors, actions and first/last time.
-- param: principal  IAM user/role ARN (all its sessions) or session ARN
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- Polars SQL has no JSON functions: the values are cut out of the JSON text with split_part
-- (portable to DuckDB and Athena). Only the first occurrence of each request field is taken,
-- and the first three ARNs of the resources list (CloudTrail rarely lists more).
-- In DuckDB/Athena, json_extract / UNNEST over the resources array is the complete form.
-- string_agg(DISTINCT x, ',' ORDER BY x): in Athena use array_join(array_sort(array_agg(DISTINCT x)), ',').
-- Generated from queries/resources_touched.sql by engines/athena/gen.py for Athena (engine 3) and Trino: do not edit.
-- Placeholders ${...} are filled as trailtrim fills them (the value, single quotes doubled).
WITH mine AS (
  SELECT
    event_id,
    event_time,
    event_source,
    event_name,
    error_code,
    resources,
    request_parameters,
    recipient_account_id
  FROM events
  WHERE
    (
      identity_arn = '${principal}' OR session_issuer_arn = '${principal}'
    )
    AND event_date >= '${from}'
    AND event_date <= '${to}'
), touched AS (
  SELECT
    'resources' AS found_in,
    SPLIT_PART(SPLIT_PART(resources, '"ARN":"', 2), '"', 1) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  UNION ALL
  SELECT
    'resources' AS found_in,
    SPLIT_PART(SPLIT_PART(resources, '"ARN":"', 3), '"', 1) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  UNION ALL
  SELECT
    'resources' AS found_in,
    SPLIT_PART(SPLIT_PART(resources, '"ARN":"', 4), '"', 1) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  UNION ALL
  SELECT
    'request.bucketName' AS found_in,
    CONCAT(
      CAST('arn:aws:s3:::' AS VARCHAR),
      CAST(SPLIT_PART(SPLIT_PART(request_parameters, '"bucketName":"', 2), '"', 1) AS VARCHAR)
    ) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"bucketName":"') > 0
  UNION ALL
  SELECT
    'request.roleArn' AS found_in,
    SPLIT_PART(SPLIT_PART(request_parameters, '"roleArn":"', 2), '"', 1) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"roleArn":"') > 0
  UNION ALL
  SELECT
    'request.policyArn' AS found_in,
    SPLIT_PART(SPLIT_PART(request_parameters, '"policyArn":"', 2), '"', 1) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"policyArn":"') > 0
  UNION ALL
  SELECT
    'request.topicArn' AS found_in,
    SPLIT_PART(SPLIT_PART(request_parameters, '"topicArn":"', 2), '"', 1) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"topicArn":"') > 0
  UNION ALL
  SELECT
    'request.targetArn' AS found_in,
    SPLIT_PART(SPLIT_PART(request_parameters, '"targetArn":"', 2), '"', 1) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"targetArn":"') > 0
  UNION ALL
  SELECT
    'request.userName' AS found_in,
    CONCAT(
      CAST('user/' AS VARCHAR),
      CAST(SPLIT_PART(SPLIT_PART(request_parameters, '"userName":"', 2), '"', 1) AS VARCHAR)
    ) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"userName":"') > 0
  UNION ALL
  SELECT
    'request.roleName' AS found_in,
    CONCAT(
      CAST('role/' AS VARCHAR),
      CAST(SPLIT_PART(SPLIT_PART(request_parameters, '"roleName":"', 2), '"', 1) AS VARCHAR)
    ) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"roleName":"') > 0
  UNION ALL
  SELECT
    'request.groupName' AS found_in,
    CONCAT(
      CAST('group/' AS VARCHAR),
      CAST(SPLIT_PART(SPLIT_PART(request_parameters, '"groupName":"', 2), '"', 1) AS VARCHAR)
    ) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"groupName":"') > 0
  UNION ALL
  SELECT
    'request.functionName' AS found_in,
    CONCAT(
      CAST('function/' AS VARCHAR),
      CAST(SPLIT_PART(SPLIT_PART(request_parameters, '"functionName":"', 2), '"', 1) AS VARCHAR)
    ) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"functionName":"') > 0
  UNION ALL
  SELECT
    'request.secretId' AS found_in,
    CONCAT(
      CAST('secret/' AS VARCHAR),
      CAST(SPLIT_PART(SPLIT_PART(request_parameters, '"secretId":"', 2), '"', 1) AS VARCHAR)
    ) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"secretId":"') > 0
  UNION ALL
  SELECT
    'request.tableName' AS found_in,
    CONCAT(
      CAST('table/' AS VARCHAR),
      CAST(SPLIT_PART(SPLIT_PART(request_parameters, '"tableName":"', 2), '"', 1) AS VARCHAR)
    ) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"tableName":"') > 0
  UNION ALL
  SELECT
    'request.queueUrl' AS found_in,
    SPLIT_PART(SPLIT_PART(request_parameters, '"queueUrl":"', 2), '"', 1) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"queueUrl":"') > 0
  UNION ALL
  SELECT
    'request.keyId' AS found_in,
    CONCAT(
      CAST('key/' AS VARCHAR),
      CAST(SPLIT_PART(SPLIT_PART(request_parameters, '"keyId":"', 2), '"', 1) AS VARCHAR)
    ) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"keyId":"') > 0
  UNION ALL
  SELECT
    'request.instanceId' AS found_in,
    CONCAT(
      CAST('instance/' AS VARCHAR),
      CAST(SPLIT_PART(SPLIT_PART(request_parameters, '"instanceId":"', 2), '"', 1) AS VARCHAR)
    ) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"instanceId":"') > 0
  UNION ALL
  SELECT
    'request.snapshotId' AS found_in,
    CONCAT(
      CAST('snapshot/' AS VARCHAR),
      CAST(SPLIT_PART(SPLIT_PART(request_parameters, '"snapshotId":"', 2), '"', 1) AS VARCHAR)
    ) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"snapshotId":"') > 0
  UNION ALL
  SELECT
    'request.imageId' AS found_in,
    CONCAT(
      CAST('image/' AS VARCHAR),
      CAST(SPLIT_PART(SPLIT_PART(request_parameters, '"imageId":"', 2), '"', 1) AS VARCHAR)
    ) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"imageId":"') > 0
  UNION ALL
  SELECT
    'request.groupId' AS found_in,
    CONCAT(
      CAST('security-group/' AS VARCHAR),
      CAST(SPLIT_PART(SPLIT_PART(request_parameters, '"groupId":"', 2), '"', 1) AS VARCHAR)
    ) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"groupId":"') > 0
  UNION ALL
  SELECT
    'request.stackName' AS found_in,
    CONCAT(
      CAST('stack/' AS VARCHAR),
      CAST(SPLIT_PART(SPLIT_PART(request_parameters, '"stackName":"', 2), '"', 1) AS VARCHAR)
    ) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"stackName":"') > 0
  UNION ALL
  SELECT
    'request.logGroupName' AS found_in,
    CONCAT(
      CAST('log-group/' AS VARCHAR),
      CAST(SPLIT_PART(SPLIT_PART(request_parameters, '"logGroupName":"', 2), '"', 1) AS VARCHAR)
    ) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"logGroupName":"') > 0
  UNION ALL
  SELECT
    'request.detectorId' AS found_in,
    CONCAT(
      CAST('detector/' AS VARCHAR),
      CAST(SPLIT_PART(SPLIT_PART(request_parameters, '"detectorId":"', 2), '"', 1) AS VARCHAR)
    ) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"detectorId":"') > 0
  UNION ALL
  SELECT
    'request.trailName' AS found_in,
    CONCAT(
      CAST('trail/' AS VARCHAR),
      CAST(SPLIT_PART(SPLIT_PART(request_parameters, '"trailName":"', 2), '"', 1) AS VARCHAR)
    ) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"trailName":"') > 0
  UNION ALL
  SELECT
    'request.layerName' AS found_in,
    CONCAT(
      CAST('layer/' AS VARCHAR),
      CAST(SPLIT_PART(SPLIT_PART(request_parameters, '"layerName":"', 2), '"', 1) AS VARCHAR)
    ) AS resource,
    event_id,
    event_time,
    event_source,
    event_name,
    error_code
  FROM mine
  WHERE
    STRPOS(request_parameters, '"layerName":"') > 0
)
SELECT
  resource,
  COUNT(DISTINCT event_id) AS calls,
  COUNT(DISTINCT CASE WHEN NOT error_code IS NULL THEN event_id END) AS errors,
  ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(DISTINCT event_name)), ',') AS actions,
  MIN(event_time) AS first_seen,
  MAX(event_time) AS last_seen,
  ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(DISTINCT found_in)), ',') AS found_in
FROM touched
WHERE
  NOT resource IS NULL AND resource <> ''
GROUP BY
  resource
ORDER BY
  resource
