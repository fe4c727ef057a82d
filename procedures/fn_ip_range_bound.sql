-- fn_ip_range_bound: the first or last address of an address or CIDR range, as 16 bytes, NULL when the text is not one.
-- '10.0.0.0/8' is 10.0.0.0 .. 10.255.255.255 (IPv4-mapped, fn_ip_bytes); an address without
-- a prefix is a range of one. The prefix is at most 32 for IPv4, 128 for IPv6.
-- Parameters:
--   p_network  the address or range as text ('203.0.113.0/24', '2001:db8::/32')
--   p_last     FALSE: the first address, TRUE: the last
-- Returns: BINARY(16), or NULL.
-- Errors: none.
-- Example: SELECT fn_ip_range_bound('10.0.0.0/8', TRUE);  -- 00000000000000000000FFFF0AFFFFFF
DROP FUNCTION IF EXISTS fn_ip_range_bound;
DELIMITER $$
CREATE FUNCTION fn_ip_range_bound(p_network VARCHAR(49), p_last BOOLEAN)
RETURNS BINARY(16)
DETERMINISTIC NO SQL
COMMENT 'fn_ip_range_bound: the first or last address of an address or CIDR range, as 16 bytes, NULL when the text is not one.'
BEGIN
    DECLARE v_address VARCHAR(45) DEFAULT TRIM(SUBSTRING_INDEX(p_network, '/', 1));
    DECLARE v_raw VARBINARY(16) DEFAULT INET6_ATON(v_address);
    DECLARE v_bytes BINARY(16) DEFAULT fn_ip_bytes(v_address);
    DECLARE v_prefix INT;
    DECLARE v_bits INT;
    DECLARE v_mask INT;
    DECLARE v_byte INT;
    DECLARE v_i INT DEFAULT 0;
    DECLARE v_out VARBINARY(16) DEFAULT '';
    IF v_raw IS NULL THEN
        RETURN NULL;
    END IF;
    IF LOCATE('/', p_network) = 0 THEN
        SET v_prefix = 128;
    ELSEIF TRIM(SUBSTRING_INDEX(p_network, '/', -1)) NOT REGEXP '^[0-9]{1,3}$' THEN
        RETURN NULL;
    ELSE
        SET v_prefix = CAST(TRIM(SUBSTRING_INDEX(p_network, '/', -1)) AS UNSIGNED);
        IF v_prefix > LENGTH(v_raw) * 8 THEN
            RETURN NULL;
        END IF;
        -- An IPv4 prefix counts within the mapped form's last 32 bits.
        SET v_prefix = v_prefix + IF(LENGTH(v_raw) = 4, 96, 0);
    END IF;
    WHILE v_i < 16 DO
        SET v_bits = LEAST(GREATEST(v_prefix - 8 * v_i, 0), 8);
        SET v_mask = (255 << (8 - v_bits)) & 255;
        SET v_byte = ASCII(SUBSTRING(v_bytes, v_i + 1, 1));
        SET v_byte = IF(p_last, v_byte | (~v_mask & 255), v_byte & v_mask);
        SET v_out = CONCAT(v_out, UNHEX(LPAD(HEX(v_byte), 2, '0')));
        SET v_i = v_i + 1;
    END WHILE;
    RETURN v_out;
END$$
DELIMITER ;
