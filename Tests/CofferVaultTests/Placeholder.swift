// Tests for CofferVaultTests land here.
