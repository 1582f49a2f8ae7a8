// The e2e-postgres-rs256 project: the contract suites again, on postgres, with RS256 access tokens (published keys).
process.env.GATEHOUSE_TEST_DB = 'postgres';
process.env.GATEHOUSE_TEST_ALG = 'RS256';
