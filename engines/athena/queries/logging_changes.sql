-- purpose: Changes to logging and detection (CloudTrail, GuardDuty, Config, VPC flow logs, CloudWatch Logs, Security Hub, Access Analyzer, S3 access logging, leaving the organization), refused attempts and restorations included.
-- param: from = 1970-01-01  first day to include (YYYY-MM-DD, UTC)
-- param: to = 9999-12-31  last day to include (YYYY-MM-DD, UTC)
--
-- effect: 'weakens' for calls that stop, delete or narrow logging/detection, 'restores' for
-- calls that turn it back on, 'changes' for the rest (settings that may go either way).
-- Generated from queries/logging_changes.sql by engines/athena/gen.py for Athena (engine 3) and Trino: do not edit.
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
  CASE
    WHEN event_name = 'PutEventSelectors'
    AND STRPOS(request_parameters, '"includeManagementEvents":false') > 0
    THEN 'weakens'
    WHEN event_name IN (
      'StartLogging',
      'CreateTrail',
      'CreateDetector',
      'StartConfigurationRecorder',
      'PutDeliveryChannel',
      'CreateFlowLogs',
      'EnableSecurityHub',
      'CreateAnalyzer',
      'StartEventDataStoreIngestion'
    )
    THEN 'restores'
    WHEN event_name IN (
      'UpdateTrail',
      'PutEventSelectors',
      'PutInsightSelectors',
      'UpdateDetector',
      'PutConfigurationRecorder',
      'PutBucketLogging',
      'PutRetentionPolicy'
    )
    THEN 'changes'
    ELSE 'weakens'
  END AS effect,
  error_code,
  request_parameters,
  event_id
FROM events
WHERE
  (
    (
      event_source = 'cloudtrail.amazonaws.com'
      AND event_name IN (
        'StopLogging',
        'DeleteTrail',
        'UpdateTrail',
        'PutEventSelectors',
        'PutInsightSelectors',
        'DeleteEventDataStore',
        'StopEventDataStoreIngestion',
        'StartLogging',
        'CreateTrail',
        'StartEventDataStoreIngestion'
      )
    )
    OR (
      event_source = 'guardduty.amazonaws.com'
      AND event_name IN (
        'DeleteDetector',
        'UpdateDetector',
        'DisassociateFromMasterAccount',
        'DisassociateFromAdministratorAccount',
        'DeleteMembers',
        'DisassociateMembers',
        'StopMonitoringMembers',
        'DeletePublishingDestination',
        'CreateIPSet',
        'UpdateIPSet',
        'CreateFilter',
        'UpdateFilter',
        'CreateDetector'
      )
    )
    OR (
      event_source = 'config.amazonaws.com'
      AND event_name IN (
        'StopConfigurationRecorder',
        'DeleteConfigurationRecorder',
        'DeleteDeliveryChannel',
        'DeleteConfigRule',
        'DeleteConformancePack',
        'PutConfigurationRecorder',
        'StartConfigurationRecorder',
        'PutDeliveryChannel'
      )
    )
    OR (
      event_source = 'ec2.amazonaws.com'
      AND event_name IN ('DeleteFlowLogs', 'CreateFlowLogs')
    )
    OR (
      event_source = 'logs.amazonaws.com'
      AND event_name IN (
        'DeleteLogGroup',
        'DeleteLogStream',
        'DeleteSubscriptionFilter',
        'DeleteMetricFilter',
        'PutRetentionPolicy'
      )
    )
    OR (
      event_source = 'monitoring.amazonaws.com'
      AND event_name IN ('DeleteAlarms', 'DisableAlarmActions')
    )
    OR (
      event_source = 'securityhub.amazonaws.com'
      AND event_name IN (
        'DisableSecurityHub',
        'BatchDisableStandards',
        'DeleteInsight',
        'EnableSecurityHub'
      )
    )
    OR (
      event_source = 'access-analyzer.amazonaws.com'
      AND event_name IN ('DeleteAnalyzer', 'CreateArchiveRule', 'CreateAnalyzer')
    )
    OR (
      event_source = 'macie2.amazonaws.com'
      AND event_name IN ('DisableMacie', 'UpdateMacieSession')
    )
    OR (
      event_source = 's3.amazonaws.com' AND event_name = 'PutBucketLogging'
    )
    OR (
      event_source = 'organizations.amazonaws.com' AND event_name = 'LeaveOrganization'
    )
  )
  AND event_date >= '${from}'
  AND event_date <= '${to}'
ORDER BY
  event_time,
  event_id
