-- trg_risk_ip_lists_range_insert: fill a list entry's first and last address from its network
-- (fn_ip_range_bound), refusing text that is not an address or CIDR range.
DROP TRIGGER IF EXISTS trg_risk_ip_lists_range_insert;
DELIMITER $$
CREATE TRIGGER trg_risk_ip_lists_range_insert BEFORE INSERT ON risk_ip_lists
FOR EACH ROW
BEGIN
    SET NEW.ip_from = fn_ip_range_bound(NEW.network, FALSE),
        NEW.ip_to = fn_ip_range_bound(NEW.network, TRUE);
    IF NEW.ip_from IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: network must be an IPv4 or IPv6 address or CIDR range';
    END IF;
END$$
DELIMITER ;
