// Configuration every test process runs with (both projects). Real values, test-only keys.
process.env.AUTH_SECRET ??= "test-auth-secret-test-auth-secret-0123456789";
process.env.ENCRYPTION_KEY ??= Buffer.alloc(32, 7).toString("base64");
process.env.APP_URL ??= "http://localhost:3000";

// The test SFTP servers listen on loopback (127.0.0.1, 127.0.0.2 for dead hosts), which the
// platform refuses by default (server/cdr/sftp-network.ts). Set, not defaulted: a value from
// the shell without loopback would fail every SFTP test. Tests of the refusal override it.
process.env.CDR_SFTP_ALLOWED_NETWORKS = "127.0.0.0/8,::1/128";
