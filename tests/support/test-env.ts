// Configuration every test process runs with (both projects). Real values, test-only keys.
process.env.AUTH_SECRET ??= "test-auth-secret-test-auth-secret-0123456789";
process.env.ENCRYPTION_KEY ??= Buffer.alloc(32, 7).toString("base64");
process.env.APP_URL ??= "http://localhost:3000";

