-- Demo data for `make run`: staff and two customers with accounts in JOD, USD and EUR and
-- about three months of history, posted through the real procedures with the session
-- clock moved back (SET TIMESTAMP) so every balance_after and statement is genuine.
-- Safe to load again: it does nothing once the user 'alice' exists.
--
-- Logins (username / password): alice / alice-demo-pass, bob / bob-demo-pass,
-- teller / teller-demo-pass, manager / manager-demo-pass, auditor / auditor-demo-pass,
-- admin / admin-demo-pass.

DROP PROCEDURE IF EXISTS sp_seed_demo_data;
DELIMITER $$
CREATE PROCEDURE sp_seed_demo_data()
MODIFIES SQL DATA
proc: BEGIN
    DECLARE v_alice BIGINT UNSIGNED;
    DECLARE v_bob BIGINT UNSIGNED;
    DECLARE v_teller BIGINT UNSIGNED;
    DECLARE v_manager BIGINT UNSIGNED;
    DECLARE v_alice_jod BIGINT UNSIGNED;
    DECLARE v_alice_chk BIGINT UNSIGNED;
    DECLARE v_alice_eur BIGINT UNSIGNED;
    DECLARE v_bob_usd BIGINT UNSIGNED;
    DECLARE v_bob_jod BIGINT UNSIGNED;
    DECLARE v_bob_usd_no VARCHAR(34);
    DECLARE v_bob_jod_no VARCHAR(34);
    DECLARE v_alice_jod_no VARCHAR(34);
    DECLARE v_alice_chk_no VARCHAR(34);
    DECLARE v_alice_eur_no VARCHAR(34);
    DECLARE v_day INT DEFAULT 90;
    DECLARE v_start BIGINT;
    DECLARE v_reverse_id BIGINT UNSIGNED;

    IF EXISTS (SELECT 1 FROM users WHERE username = 'alice') THEN
        LEAVE proc;
    END IF;

    INSERT INTO users (username, role, status, kyc_status, password_hash) VALUES
        ('alice',   'customer', 'active', 'verified', '$2b$12$47KAyh0WuCXFcla1eYYOBudf9N/.6iuCuTHmvChGYlBWXzguvXv/u'),
        ('bob',     'customer', 'active', 'verified', '$2b$12$y/x7y0/pFT7sHXU781m7K.G2mOgQ1i3OUTlzF2eDWE4uRMlBzKw3i'),
        ('admin',   'admin',    'active', 'verified', '$2b$12$Ms2A9p/TkCi9bdNKHjtBBOl3hw/Qzc5PbvWgHt9V8GWhKDDsqNytq'),
        ('auditor', 'auditor',  'active', 'verified', '$2b$12$ke6Y.VAARH6/pdB2I85S8.YlXKD9EAtkqBev2.UCyYlxWjmVE/90G'),
        ('teller',  'teller',   'active', 'verified', '$2b$12$dgDhs4wqd2J5cI9ktllivubvFFWJNHXMWc05gYUr37QGNgMCk6E6O'),
        ('manager', 'manager',  'active', 'verified', '$2b$12$QU.NvPtzJc4eECfPidpgiOsv3PLvHteh3h.K6qfi2/cPC2OftL1xO');
    SELECT id INTO v_alice FROM users WHERE username = 'alice';
    SELECT id INTO v_bob FROM users WHERE username = 'bob';
    SELECT id INTO v_teller FROM users WHERE username = 'teller';
    SELECT id INTO v_manager FROM users WHERE username = 'manager';

    SET v_start = UNIX_TIMESTAMP(CURDATE() - INTERVAL 90 DAY);
    SET TIMESTAMP = v_start + 9 * 3600;
    CALL sp_create_account(v_alice, 'savings', 'JOD', v_teller);
    CALL sp_create_account(v_alice, 'checking', 'JOD', v_teller);
    CALL sp_create_account(v_alice, 'wallet', 'EUR', v_teller);
    CALL sp_create_account(v_bob, 'checking', 'USD', v_teller);
    CALL sp_create_account(v_bob, 'savings', 'JOD', v_teller);
    SELECT id, account_number INTO v_alice_jod, v_alice_jod_no FROM accounts WHERE user_id = v_alice AND account_type = 'savings';
    SELECT id, account_number INTO v_alice_chk, v_alice_chk_no FROM accounts WHERE user_id = v_alice AND account_type = 'checking';
    SELECT id, account_number INTO v_alice_eur, v_alice_eur_no FROM accounts WHERE user_id = v_alice AND account_type = 'wallet';
    SELECT id, account_number INTO v_bob_usd, v_bob_usd_no FROM accounts WHERE user_id = v_bob AND account_type = 'checking';
    SELECT id, account_number INTO v_bob_jod, v_bob_jod_no FROM accounts WHERE user_id = v_bob AND account_type = 'savings';

    CALL sp_deposit_cash(v_alice_jod, 5000.000, 'Opening deposit', 'seed-open-1', v_teller, NULL, NULL);
    CALL sp_deposit_cash(v_bob_usd, 7000.00, 'Opening deposit', 'seed-open-2', v_teller, NULL, NULL);
    CALL sp_deposit_cash(v_alice_eur, 800.00, 'Opening deposit', 'seed-open-3', v_teller, NULL, NULL);
    CALL sp_deposit_cash(v_bob_jod, 1200.000, 'Opening deposit', 'seed-open-4', v_teller, NULL, NULL);
    CALL sp_deposit_cash(v_alice_chk, 1500.000, 'Opening deposit', 'seed-open-5', v_teller, NULL, NULL);

    WHILE v_day > 0 DO
        SET TIMESTAMP = v_start + (90 - v_day) * 86400 + 8 * 3600 + MOD(v_day * 7919, 36000);
        IF MOD(v_day, 30) = 1 THEN
            CALL sp_deposit_cash(v_alice_chk, 1450.000, 'Salary', CONCAT('seed-salary-a-', v_day), v_teller, NULL, NULL);
            CALL sp_deposit_cash(v_bob_usd, 2300.00, 'Salary', CONCAT('seed-salary-b-', v_day), v_teller, NULL, NULL);
            CALL sp_perform_transfer(v_alice_chk, v_alice_jod_no, 400.000, 0, 'Monthly savings',
                                     CONCAT('seed-save-', v_day), v_alice, NULL, v_alice, NULL, NULL, NULL);
        END IF;
        IF MOD(v_day, 3) = 0 THEN
            CALL sp_withdraw_cash(v_alice_chk, 20 + MOD(v_day * 37, 60), 'ATM withdrawal',
                                  CONCAT('seed-atm-a-', v_day), v_alice, NULL, v_alice, NULL, NULL);
        END IF;
        IF MOD(v_day, 7) = 0 THEN
            CALL sp_perform_transfer(v_alice_chk, v_bob_usd_no, 25 + MOD(v_day * 13, 40), 0, 'Shared groceries',
                                     CONCAT('seed-fx-ab-', v_day), v_alice, NULL, v_alice, NULL, NULL, NULL);
            CALL sp_perform_transfer(v_bob_usd, v_alice_eur_no, 15 + MOD(v_day * 11, 30), 0, 'Concert tickets',
                                     CONCAT('seed-fx-be-', v_day), v_bob, NULL, v_bob, NULL, NULL, NULL);
        END IF;
        IF MOD(v_day, 10) = 5 THEN
            CALL sp_perform_transfer(v_bob_jod, v_alice_chk_no, 30 + MOD(v_day * 17, 70), 0.250, 'Rent share',
                                     CONCAT('seed-rent-', v_day), v_bob, NULL, v_bob, NULL, NULL, NULL);
            CALL sp_withdraw_cash(v_bob_usd, 100, 'Cash withdrawal', CONCAT('seed-atm-b-', v_day), v_bob, NULL, v_bob, NULL, NULL);
        END IF;
        SET v_day = v_day - 1;
    END WHILE;

    -- A high-value deposit (flagged by trg_transactions_flag_high_value) and a corrected mistake.
    SET TIMESTAMP = UNIX_TIMESTAMP(NOW()) - 2 * 86400;
    CALL sp_deposit_cash(v_bob_jod, 12500.000, 'Property sale proceeds', 'seed-high-value', v_teller, NULL, NULL);
    CALL sp_perform_transfer(v_alice_chk, v_bob_jod_no, 90.000, 0, 'Paid twice by mistake',
                             'seed-mistake', v_alice, NULL, v_alice, NULL, NULL, NULL);
    SELECT id INTO v_reverse_id FROM transactions WHERE initiator_id = v_alice AND idempotency_key = 'seed-mistake';
    SET TIMESTAMP = UNIX_TIMESTAMP(NOW()) + 3600;
    CALL sp_reverse_transaction(v_reverse_id, 'Duplicate payment reported by customer', 'seed-reversal', v_manager);
    SET TIMESTAMP = DEFAULT;
END$$
DELIMITER ;

CALL sp_seed_demo_data();
DROP PROCEDURE sp_seed_demo_data;
