-- The intake of an instance knows where each procedure's counter stood after
-- its last batch. It builds the next batch with the numbers that follow and
-- sends it in one round trip: this function first, then the inserts, then the
-- commit. The function moves each counter on only from the value the batch
-- expects, and only while the procedure still has the version the statements
-- were checked against; otherwise it raises BP001, the transaction aborts and
-- nothing of the batch is stored. The intake then takes the numbers as before.
-- The counters are moved in the order given (the intake sorts them by
-- procedure), so two batches never wait for each other in a circle.
CREATE FUNCTION take_expected_statement_numbers(procedure_ids uuid[], versions integer[],
                                                expected integer[], counts integer[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1 .. coalesce(array_length(procedure_ids, 1), 0) LOOP
        UPDATE statement_counters c SET last = c.last + counts[i]
        WHERE c.procedure_id = procedure_ids[i] AND c.last = expected[i]
          AND EXISTS (SELECT FROM procedures p WHERE p.id = procedure_ids[i] AND p.version = versions[i]);
        IF NOT FOUND THEN
            RAISE EXCEPTION 'statement counter of procedure % is not at % or the procedure changed',
                procedure_ids[i], expected[i] USING ERRCODE = 'BP001';
        END IF;
    END LOOP;
END $$;
