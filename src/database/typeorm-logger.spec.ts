import { Logger } from '@nestjs/common';
import { TypeOrmLogger } from './typeorm-logger';

describe('TypeOrmLogger', () => {
  it('logs a failed query and its error without the parameters (hashes, keys)', () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      new TypeOrmLogger().logQueryError(new Error('FOREIGN KEY constraint failed'), 'INSERT INTO users (password_hash) VALUES (?)', [
        '$argon2id$v=19$m=19456,t=2,p=1$secret-hash',
      ]);
      expect(error).toHaveBeenCalledTimes(1);
      const line = String(error.mock.calls[0][0]);
      expect(line).toContain('FOREIGN KEY constraint failed');
      expect(line).toContain('INSERT INTO users');
      expect(line).not.toContain('argon2id');
    } finally {
      error.mockRestore();
    }
  });
});
