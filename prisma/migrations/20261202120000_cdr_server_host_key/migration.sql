-- SFTP servers are checked by their SSH host key, as OpenSSH's known_hosts does: the key a
-- server first presents is kept (its SHA-256 fingerprint), and a server presenting another
-- key later is refused, so whoever sits between us and the carrier cannot collect the
-- carrier's password or feed us CDRs. The key a refused server presented is kept too, for an
-- admin to accept once the carrier confirms it.
ALTER TABLE "cdr_source_servers" ADD COLUMN "host_key" TEXT;
ALTER TABLE "cdr_source_servers" ADD COLUMN "presented_host_key" TEXT;
