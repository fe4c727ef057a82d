-- fn_ip_bytes: a client address as 16 bytes (IPv4 as IPv4-mapped IPv6), NULL when it is not an address.
-- One form for both families, so an address compares with the ranges of risk_ip_lists
-- (an IPv4 range is stored mapped, and '::ffff:1.2.3.4' is the same client as '1.2.3.4').
-- Parameters:
--   p_ip  the address as text ('203.0.113.7', '2001:db8::1'; NULL: unknown)
-- Returns: BINARY(16), or NULL.
-- Errors: none.
-- Example: SELECT fn_ip_bytes('203.0.113.7');  -- 00000000000000000000FFFFCB007107
DROP FUNCTION IF EXISTS fn_ip_bytes;
DELIMITER $$
CREATE FUNCTION fn_ip_bytes(p_ip VARCHAR(45))
RETURNS BINARY(16)
DETERMINISTIC NO SQL
COMMENT 'fn_ip_bytes: a client address as 16 bytes (IPv4 as IPv4-mapped IPv6), NULL when it is not an address.'
BEGIN
    DECLARE v_bytes VARBINARY(16) DEFAULT INET6_ATON(TRIM(p_ip));
    RETURN IF(LENGTH(v_bytes) = 4, CONCAT(UNHEX('00000000000000000000FFFF'), v_bytes), v_bytes);
END$$
DELIMITER ;
