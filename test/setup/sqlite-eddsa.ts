// The e2e-sqlite-eddsa project: the contract suites again, on sqlite, with EdDSA access tokens (published keys).
process.env.GATEHOUSE_TEST_DB = 'sqlite';
process.env.GATEHOUSE_TEST_ALG = 'EdDSA';
