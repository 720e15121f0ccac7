"""Issue 14 (hardening): sign-in, sessions, headers, passwords, demo data; see docs/security.md."""
