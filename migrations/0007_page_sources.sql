-- Watched status pages (a feed with no feed or API): the CSS selector whose text says the
-- state, and the optional regular expression that text matches when all is well. NULL for
-- feeds and APIs.
ALTER TABLE feeds ADD COLUMN selector TEXT;
ALTER TABLE feeds ADD COLUMN expect TEXT;
