// Tests for CofferSQLiteTests land here.
