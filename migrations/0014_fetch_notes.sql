-- What the parser said about a stored document (invalid UTF-8 read as Windows-1252, duplicate
-- entry ids, entries left out by the per-document cap), one note a line, so the fetch log
-- keeps what `poll` and `feeds check` printed. NULL: nothing to say.
ALTER TABLE fetches ADD COLUMN notes TEXT;
