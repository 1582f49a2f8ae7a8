// The e2e-sqlite project: every suite gets its own SQLite file, whatever DATABASE_URL says.
process.env.GATEHOUSE_TEST_DB = 'sqlite';
