-- vw_incidents: what an auditor follows up: fraud alerts the risk worker raised and
-- integrity check runs that found broken invariants, newest first by created_at.
-- Columns:
--   kind            fraud_alert or integrity_violation
--   id              the fraud alert's id, or the integrity check run's id
--   transaction_id  the alerted transaction (NULL for an integrity run)
--   severity        the alert's verdict (SUSPICIOUS, CRITICAL), or 'CRITICAL' for broken invariants
--   status          open or resolved (an integrity run is 'open': fix the ledger and check again)
--   detail          the alert's resolution, or how many violations the run found
--   created_at      when it was raised
-- Example: SELECT * FROM vw_incidents WHERE status = 'open' ORDER BY created_at DESC;
DROP VIEW IF EXISTS vw_incidents;
CREATE VIEW vw_incidents AS
SELECT 'fraud_alert' AS kind, f.id, f.transaction_id, f.verdict AS severity, f.status,
       IFNULL(f.resolution, f.action_taken) AS detail, f.created_at
FROM fraud_alerts f
UNION ALL
SELECT 'integrity_violation', c.id, NULL, 'CRITICAL', 'open',
       CONVERT(CONCAT(c.violations, ' violation(s) in a ', c.kind, ' check') USING utf8mb4)
           COLLATE utf8mb4_unicode_ci, c.finished_at
FROM integrity_checks c
WHERE c.violations > 0;
