import { Column, CreateDateColumn, Entity } from 'typeorm';
import { UuidEntity } from '../../database/uuid-primary';

@Entity({ name: 'roles' })
export class Role extends UuidEntity {
  /** Unique, compared exactly by `@Roles()`. */
  @Column({ type: 'varchar', length: 64, unique: true })
  name: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  description: string | null;

  /** Permissions the role grants, besides those its built-in name implies (IMPLIED_PERMISSIONS). Sorted. */
  @Column({ type: 'simple-json', default: '[]' })
  permissions: string[];

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
