import { ArgumentMetadata, BadRequestException } from '@nestjs/common';
import { IsString, MaxLength, ValidatorConstraint, getMetadataStorage } from 'class-validator';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AppValidationPipe } from './validation';

/** Every DTO under src/ (files named *.dto.ts), loaded so that their rules are registered. */
function loadEveryDto(): void {
  const src = join(__dirname, '..');
  for (const entry of readdirSync(src, { recursive: true }) as string[]) {
    if (entry.endsWith('.dto.ts')) require(join(src, entry));
  }
}

describe('AppValidationPipe', () => {
  class Sample {
    @IsString()
    @MaxLength(5)
    name: string;
  }
  const body: ArgumentMetadata = { type: 'body', metatype: Sample };

  it('validates synchronously, and no DTO rule is asynchronous (validateSync would skip it)', () => {
    loadEveryDto();
    const storage = getMetadataStorage() as unknown as { constraintMetadatas: Map<unknown, { async: boolean; name: string }[]> };
    const constraints = [...storage.constraintMetadatas.values()].flat();
    expect(constraints.length).toBeGreaterThan(0);
    expect(constraints.filter((constraint) => constraint.async).map((constraint) => constraint.name)).toEqual([]);
  });

  it('detects an asynchronous constraint (the check above can fail)', () => {
    @ValidatorConstraint({ name: 'lookedUpSomewhere', async: true })
    class LookedUp {
      validate(): Promise<boolean> {
        return Promise.resolve(false);
      }
    }
    const storage = getMetadataStorage() as unknown as { constraintMetadatas: Map<unknown, { async: boolean; name: string }[]> };
    expect(storage.constraintMetadatas.get(LookedUp)?.[0]).toMatchObject({ async: true, name: 'lookedUpSomewhere' });
    storage.constraintMetadatas.delete(LookedUp);
  });

  it('returns the instance for a good body and throws one 400 naming every failure for a bad one', async () => {
    const pipe = new AppValidationPipe();
    await expect(pipe.transform({ name: 'ada' }, body)).resolves.toBeInstanceOf(Sample);
    await expect(pipe.transform({ name: 'far too long', extra: 1 }, body)).rejects.toThrow(
      new BadRequestException('property extra should not exist; name must be shorter than or equal to 5 characters'),
    );
  });
});
