import { PasswordService } from './password.service';

describe(PasswordService.name, () => {
  const service = new PasswordService();

  beforeAll(() => service.onModuleInit());

  it('hashes with argon2id at the OWASP parameters (m=19456 KiB, t=2, p=1)', async () => {
    const hash = await service.hash('correct horse battery staple');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(hash).not.toContain('correct horse');
  });

  it('salts each hash', async () => {
    expect(await service.hash('same password')).not.toBe(await service.hash('same password'));
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await service.hash('correct horse battery staple');
    expect(await service.verify(hash, 'correct horse battery staple')).toBe(true);
    expect(await service.verify(hash, 'correct horse battery stapler')).toBe(false);
  });

  it('answers false, without throwing, for a missing or corrupt hash', async () => {
    expect(await service.verify(null, 'anything')).toBe(false);
    expect(await service.verify(undefined, 'anything')).toBe(false);
    expect(await service.verify('not-a-phc-string', 'anything')).toBe(false);
  });
});
