import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { AuditService } from '../audit/audit.service';
import { CreateRoleDto } from './dto/create-role.dto';
import { Role } from './entities/role.entity';
import { RoleEvent, RoleEvents } from './role-events';
import { BUILT_IN_ROLES, IMPLIED_PERMISSIONS } from './role-names';
import { RolesRepository } from './roles.repository';
import { ValidationFailedException } from '../common/validation';

@Injectable()
export class RolesService {
  constructor(
    private readonly roles: RolesRepository,
    private readonly events: EventEmitter2,
    private readonly audit: AuditService,
  ) {}

  list(): Promise<Role[]> {
    return this.roles.list();
  }

  async create(dto: CreateRoleDto, actorId: string): Promise<Role> {
    if (await this.roles.existsByNameIgnoringCase(dto.name)) {
      throw new ConflictException(`Role ${dto.name} already exists (role names are compared regardless of case)`);
    }
    const role = await this.roles.insert({ name: dto.name, description: dto.description ?? null, permissions: [] });
    await this.audit.record({ type: 'role.created', actorId, details: { roleId: role.id, role: role.name } });
    return role;
  }

  /**
   * Replaces a role's permissions. Live tokens of its users lose a removed permission within
   * REVOCATION_MAX_LAG (RoleEvents.PermissionsChanged drops the cached checks); what a built-in role
   * implies stays whatever is sent.
   */
  async setPermissions(id: string, permissions: string[], actorId: string): Promise<Role> {
    const role = await this.roles.findById(id);
    if (!role) throw new NotFoundException('Role not found');
    const implied = IMPLIED_PERMISSIONS[role.name] ?? [];
    const stored = [...new Set(permissions)].filter((permission) => !implied.includes(permission)).sort();
    const before = role.permissions ?? [];
    await this.roles.setPermissions(id, stored);
    await this.events.emitAsync(RoleEvents.PermissionsChanged, { roleId: id } satisfies RoleEvent);
    await this.audit.record({
      type: 'role.permissions_changed',
      actorId,
      details: {
        roleId: id,
        role: role.name,
        added: stored.filter((permission) => !before.includes(permission)),
        removed: before.filter((permission) => !stored.includes(permission)),
      },
    });
    role.permissions = stored;
    return role;
  }

  /** Changes a role's description (not its name: tokens and clients carry names); undefined leaves it as it is. */
  async describe(id: string, description: string | null | undefined, actorId: string): Promise<Role> {
    const role = await this.roles.findById(id);
    if (!role) throw new NotFoundException('Role not found');
    if (description === undefined) return role;
    const before = role.description;
    role.description = description?.trim() ? description.trim() : null;
    if (role.description === before) return role;
    await this.roles.setDescription(id, role.description);
    await this.audit.record({ type: 'role.updated', actorId, details: { roleId: id, role: role.name, description: role.description } });
    return role;
  }

  async remove(id: string, actorId: string): Promise<void> {
    const role = await this.roles.findById(id);
    if (!role) throw new NotFoundException('Role not found');
    if (BUILT_IN_ROLES.includes(role.name)) {
      throw new ConflictException(`Role ${role.name} is built in and cannot be deleted`);
    }
    await this.roles.delete(id);
    await this.events.emitAsync(RoleEvents.Deleted, { roleId: id } satisfies RoleEvent);
    await this.audit.record({
      type: 'role.deleted',
      actorId,
      details: { roleId: id, role: role.name, permissions: role.permissions ?? [] },
    });
  }

  /** Resolves role names to roles; an unknown name is the client's mistake (400 naming it). */
  async findByNames(names: string[]): Promise<Role[]> {
    const { found, missing } = await this.findKnown(names);
    if (missing.length > 0) throw new ValidationFailedException(`roles: unknown role(s) ${missing.join(', ')}`);
    return found;
  }

  /** The roles of those names that exist (names compared exactly), and the names that do not. */
  async findKnown(names: string[]): Promise<{ found: Role[]; missing: string[] }> {
    const wanted = [...new Set(names)];
    const found = await this.roles.findByNames(wanted);
    return { found, missing: wanted.filter((name) => !found.some((role) => role.name === name)) };
  }
}
