import { ApiProperty } from '@nestjs/swagger';

export class ReadinessChecksView {
  @ApiProperty({ enum: ['up', 'down'], description: 'The database answers a query' })
  database!: 'up' | 'down';

  @ApiProperty({
    enum: ['up', 'pending', 'unknown'],
    description: "Every migration of this build is applied ('unknown' while the database does not answer)",
  })
  migrations!: 'up' | 'pending' | 'unknown';

  @ApiProperty({ enum: ['up', 'down', 'disabled'], description: "Redis answers a PING ('disabled' without REDIS_URL)" })
  redis!: 'up' | 'down' | 'disabled';
}

export class ReadyView {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';

  @ApiProperty({ type: ReadinessChecksView })
  checks!: ReadinessChecksView;
}

export class StartedView {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';
}
