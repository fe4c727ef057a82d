-- Fees charged by the procedures, conversions at full precision, limits as data.
--
-- A conversion goes through the two JOD mids at full precision and is rounded once
-- (fn_fx_convert); the rate a transaction records is that exact rate rounded up at 20
-- decimals (fn_fx_applied_rate), so amount * fx_rate never falls below what was credited.
ALTER TABLE transactions MODIFY COLUMN fx_rate DECIMAL(30,20) NULL;
