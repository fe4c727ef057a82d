-- vw_user_directory: each user's id and username beside their full name as stored,
-- encrypted (AES-GCM, bound to the user's id). Only a reader holding BANK_PII_KEY can
-- turn full_name_enc into a name: LedgerGPT does, to know "Alice Haddad" is alice; without
-- the key the view gives nothing away. Not on LedgerGPT's allow-list: no question's SQL
-- reads it.
-- Columns:
--   id             the user's id (vw_customers.id)
--   username       the login name
--   full_name_enc  the full name, encrypted (NULL: none given)
-- Example: SELECT id, username FROM vw_user_directory WHERE full_name_enc IS NOT NULL;
DROP VIEW IF EXISTS vw_user_directory;
CREATE VIEW vw_user_directory AS
SELECT u.id, u.username, u.full_name_enc
FROM users u;
