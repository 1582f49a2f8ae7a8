// The e2e-postgres-eddsa project: the contract suites again, on postgres, with EdDSA access tokens (published keys).
process.env.GATEHOUSE_TEST_DB = 'postgres';
process.env.GATEHOUSE_TEST_ALG = 'EdDSA';
