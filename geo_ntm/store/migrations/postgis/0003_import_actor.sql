-- Who made each import: the token name of a write over HTTP, "cli" for the command line.
ALTER TABLE imports ADD COLUMN actor text;
COMMENT ON COLUMN imports.actor IS 'who imported: the token name of an HTTP write, cli for the command line';
