-- Header auth for a feed (OPML `auth_env`, `feeds add --auth-env`): the name of the environment
-- variable whose value is sent as the feed's Authorization header. Only the name is stored,
-- never the secret. NULL: no header.
ALTER TABLE feeds ADD COLUMN auth_env TEXT;
