DROP FUNCTION IF EXISTS take_expected_statement_numbers(uuid[], integer[], integer[], integer[]);
