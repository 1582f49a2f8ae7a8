import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../common/decorators/require-permissions.decorator';
import { Permission } from '../common/permissions';
import { AuditService } from './audit.service';
import { AuditEventView, AuditPage } from './dto/audit-event.view';
import { AuditQueryDto } from './dto/audit-query.dto';

@ApiTags('audit')
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly auditService: AuditService) {}

  @Get()
  @RequirePermissions(Permission.AuditRead)
  @ApiOperation({ summary: 'Security events, newest first; filter by user, type and time' })
  @ApiOkResponse({ type: AuditPage })
  async find(@Query() query: AuditQueryDto): Promise<AuditPage> {
    const { items, total } = await this.auditService.find({
      userId: query.userId,
      type: query.type,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
      page: query.page,
      limit: query.limit,
    });
    return { items: items.map(AuditEventView.of), page: query.page, limit: query.limit, total };
  }
}
