-- Staff actions in the audit trail: a row may name the act (event, e.g. 'user.block') and
-- say why (reason). Rows written before this file have both NULL, and the row hash
-- (fn_audit_row_hash) takes each field in only when it is not NULL, so they still verify.
ALTER TABLE audit_log
    ADD COLUMN event  VARCHAR(64)  NULL AFTER action,
    ADD COLUMN reason VARCHAR(255) NULL AFTER event,
    ADD KEY idx_audit_log_actor (actor_user_id, id),
    ADD KEY idx_audit_log_event (event, id);
