-- A vendor that hands its signing secret over in a handshake (Asana's
-- X-Hook-Secret) has it kept sealed per trigger, under
-- webhook_secret_sealed_id; deleting the trigger deletes it too.
ALTER TABLE triggers ADD COLUMN webhook_secret_sealed_id TEXT;

CREATE OR REPLACE FUNCTION triggers_delete_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM sealed_values WHERE tenant_id = OLD.tenant_id
		AND id IN (OLD.target_sealed_id, OLD.webhook_token_sealed_id, OLD.webhook_secret_sealed_id);
	RETURN OLD;
END;
$$;
