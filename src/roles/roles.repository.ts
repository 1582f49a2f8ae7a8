import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { Role } from './entities/role.entity';

/** The `roles` table. */
@Injectable()
export class RolesRepository {
  constructor(@InjectRepository(Role) private readonly roles: Repository<Role>) {}

  list(): Promise<Role[]> {
    return this.roles.find({ order: { name: 'ASC' } });
  }

  /** Whether a role of this name exists, in any case (`Admin` next to `ADMIN` would only confuse). */
  async existsByNameIgnoringCase(name: string): Promise<boolean> {
    return (await this.roles.createQueryBuilder('role').where('LOWER(role.name) = :name', { name: name.toLowerCase() }).getCount()) > 0;
  }

  insert(fields: { name: string; description: string | null; permissions: string[] }): Promise<Role> {
    return this.roles.save(this.roles.create(fields));
  }

  findById(id: string): Promise<Role | null> {
    return this.roles.findOneBy({ id });
  }

  async setPermissions(id: string, permissions: string[]): Promise<void> {
    await this.roles.update({ id }, { permissions });
  }

  async setDescription(id: string, description: string | null): Promise<void> {
    await this.roles.update({ id }, { description });
  }

  async delete(id: string): Promise<void> {
    await this.roles.delete({ id });
  }

  findByNames(names: string[]): Promise<Role[]> {
    return names.length === 0 ? Promise.resolve([]) : this.roles.findBy({ name: In(names) });
  }
}
