// Store conformance checks land here; see SecretStore in the Coffer module for the contract.
