// The e2e-sqlite-rs256 project: the contract suites again, on sqlite, with RS256 access tokens (published keys).
process.env.GATEHOUSE_TEST_DB = 'sqlite';
process.env.GATEHOUSE_TEST_ALG = 'RS256';
