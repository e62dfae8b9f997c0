-- Holds this number's place in the sequence until the change that owns it
-- lands; it changes nothing.
SELECT 1;
