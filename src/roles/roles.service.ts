import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { CreateRoleDto } from './dto/create-role.dto';
import { Role } from './entities/role.entity';
import { BUILT_IN_ROLES } from './role-names';
import { RolesRepository } from './roles.repository';

@Injectable()
export class RolesService {
  constructor(private readonly roles: RolesRepository) {}

  list(): Promise<Role[]> {
    return this.roles.list();
  }

  async create(dto: CreateRoleDto): Promise<Role> {
    if (await this.roles.existsByNameIgnoringCase(dto.name)) {
      throw new ConflictException(`Role ${dto.name} already exists (role names are compared regardless of case)`);
    }
    return this.roles.insert({ name: dto.name, description: dto.description ?? null });
  }

  async remove(id: string): Promise<void> {
    const role = await this.roles.findById(id);
    if (!role) throw new NotFoundException('Role not found');
    if (BUILT_IN_ROLES.includes(role.name)) {
      throw new ConflictException(`Role ${role.name} is built in and cannot be deleted`);
    }
    await this.roles.delete(id);
  }

  /** Resolves role names to roles; an unknown name is the client's mistake (400 naming it). */
  async findByNames(names: string[]): Promise<Role[]> {
    const { found, missing } = await this.findKnown(names);
    if (missing.length > 0) throw new BadRequestException(`roles: unknown role(s) ${missing.join(', ')}`);
    return found;
  }

  /** The roles of those names that exist (names compared exactly), and the names that do not. */
  async findKnown(names: string[]): Promise<{ found: Role[]; missing: string[] }> {
    const wanted = [...new Set(names)];
    const found = await this.roles.findByNames(wanted);
    return { found, missing: wanted.filter((name) => !found.some((role) => role.name === name)) };
  }
}
