import { startupBanner } from './bootstrap';
import { loadConfig } from './config/app.config';

describe('startupBanner', () => {
  const env = { DATA_DIR: '/nonexistent-gatehouse-data', PORT: '4100', HOST: '0.0.0.0' };

  it('says where the API, Swagger UI and the web console are', () => {
    const lines = startupBanner(loadConfig(env));
    expect(lines[0]).toBe('Listening on http://localhost:4100 (Swagger UI: http://localhost:4100/docs)');
    expect(lines).toContain('Web console: http://localhost:4100/console/');
  });

  it('leaves the console out when CONSOLE=false turns it off', () => {
    const lines = startupBanner(loadConfig({ ...env, CONSOLE: 'false' }));
    expect(lines.some((line) => line.includes('console'))).toBe(false);
  });

  it('never shows the database password', () => {
    const lines = startupBanner(loadConfig({ ...env, DATABASE_URL: 'postgres://gate:s3cret-pw@db.internal:5433/auth' }));
    expect(lines).toContain('Database: PostgreSQL db.internal:5433/auth');
    expect(lines.join('\n')).not.toContain('s3cret-pw');
  });
});
