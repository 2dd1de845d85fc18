// The SQLite store (GRDB) lands here; see SecretStore in the Coffer module for the contract.
