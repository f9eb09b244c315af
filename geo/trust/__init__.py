"""Trust: accounts and sign-in, who may see what, the audit trail, isolated reading of uploads."""
