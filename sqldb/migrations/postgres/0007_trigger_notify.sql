-- Servers also keep triggers in memory, by the hash of their webhook token:
-- every webhook delivery looks its trigger up. Changes to triggers are
-- announced on junction_changes like those of 0006, health counters
-- included (a success is written at most about once a second per trigger,
-- a poll batch's successes in one statement). The payload names the table,
-- so a server drops only the triggers it holds. A new trigger needs no
-- notification: a token nobody has used is in no cache.
CREATE TRIGGER triggers_changed AFTER UPDATE OR DELETE OR TRUNCATE ON triggers
	FOR EACH STATEMENT EXECUTE FUNCTION junction_notify_change();
