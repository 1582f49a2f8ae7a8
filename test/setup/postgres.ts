// The e2e-postgres project: every suite gets a fresh database on the server DATABASE_URL points at.
process.env.GATEHOUSE_TEST_DB = 'postgres';
