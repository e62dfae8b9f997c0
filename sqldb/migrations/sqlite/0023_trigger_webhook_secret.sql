-- A vendor that hands its signing secret over in a handshake (Asana's
-- X-Hook-Secret) has it kept sealed per trigger, under
-- webhook_secret_sealed_id; deleting the trigger deletes it too.
ALTER TABLE triggers ADD COLUMN webhook_secret_sealed_id TEXT;

DROP TRIGGER triggers_delete_sealed;
CREATE TRIGGER triggers_delete_sealed AFTER DELETE ON triggers
BEGIN
	DELETE FROM sealed_values WHERE tenant_id = OLD.tenant_id
		AND id IN (OLD.target_sealed_id, OLD.webhook_token_sealed_id, OLD.webhook_secret_sealed_id);
END;
