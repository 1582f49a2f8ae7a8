import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { CreateRoleDto } from './dto/create-role.dto';
import { Role } from './entities/role.entity';
import { BUILT_IN_ROLES } from './role-names';

@Injectable()
export class RolesService {
  constructor(@InjectRepository(Role) private readonly roles: Repository<Role>) {}

  list(): Promise<Role[]> {
    return this.roles.find({ order: { name: 'ASC' } });
  }

  async create(dto: CreateRoleDto): Promise<Role> {
    if (await this.roles.existsBy({ name: dto.name })) {
      throw new ConflictException(`Role ${dto.name} already exists`);
    }
    return this.roles.save(this.roles.create({ name: dto.name, description: dto.description ?? null }));
  }

  async remove(id: string): Promise<void> {
    const role = await this.roles.findOneBy({ id });
    if (!role) throw new NotFoundException('Role not found');
    if (BUILT_IN_ROLES.includes(role.name)) {
      throw new ConflictException(`Role ${role.name} is built in and cannot be deleted`);
    }
    await this.roles.delete({ id });
  }

  /** Resolves role names to roles; an unknown name is the client's mistake (400 naming it). */
  async findByNames(names: string[]): Promise<Role[]> {
    const wanted = [...new Set(names)];
    if (wanted.length === 0) return [];
    const found = await this.roles.findBy({ name: In(wanted) });
    const missing = wanted.filter((name) => !found.some((role) => role.name === name));
    if (missing.length > 0) throw new BadRequestException(`roles: unknown role(s) ${missing.join(', ')}`);
    return found;
  }
}
