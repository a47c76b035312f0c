DROP TABLE IF EXISTS procedure_documents;
