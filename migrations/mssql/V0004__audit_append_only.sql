-- The audit trail is append-only: the database itself refuses to change or delete a record.
-- (A login with ALTER on the table can drop these triggers; `ams audit verify` checks the hash
-- chain.) T-SQL twin of migrations/sqlite/V0004__audit_append_only.sql. CREATE TRIGGER must
-- start a batch: GO separates the batches (the engine splits the script there).
CREATE TRIGGER audit_log_no_update ON audit_log INSTEAD OF UPDATE
AS
BEGIN
    THROW 50001, 'audit records cannot be changed', 1;
END;
GO
CREATE TRIGGER audit_log_no_delete ON audit_log INSTEAD OF DELETE
AS
BEGIN
    THROW 50002, 'audit records cannot be deleted', 1;
END;
GO
