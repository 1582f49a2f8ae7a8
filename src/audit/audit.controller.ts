import { Readable } from 'node:stream';
import { BadRequestException, Controller, Get, Headers, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiProduces, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequirePermissions } from '../common/decorators/require-permissions.decorator';
import { Permission } from '../common/permissions';
import { AUDIT_CSV_COLUMNS, auditCsvChunks } from './audit-csv';
import type { AuditEvent } from './entities/audit-event.entity';
import { AUDIT_EXPORT_MAX, AuditService } from './audit.service';
import { AuditEventView, AuditPage } from './dto/audit-event.view';
import { AuditQueryDto } from './dto/audit-query.dto';

/** Whether `Accept` names text/csv with a weight above zero. */
function wantsCsv(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((range) => {
    const [type, ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    return type === 'text/csv' && (q === undefined || Number(q.slice(2)) > 0);
  });
}

/** The export's batches as the views the JSON answer shows. */
async function* views(batches: AsyncIterable<AuditEvent[]>): AsyncGenerator<AuditEventView[]> {
  for await (const batch of batches) yield batch.map(AuditEventView.of);
}

@ApiTags('audit')
@ApiExtraModels(AuditPage)
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly auditService: AuditService) {}

  @Get()
  @RequirePermissions(Permission.AuditRead)
  @ApiOperation({
    summary: 'Security events, newest first; filter by user, type and time',
    description:
      'With `Accept: text/csv` the answer is every event the filters match (not one page; `page` and `limit` are ignored), ' +
      `newest first, as a CSV attachment with the columns ${AUDIT_CSV_COLUMNS.join(', ')}; more than ${AUDIT_EXPORT_MAX} matching ` +
      "events → 400 (narrow the filters). Cells a spreadsheet would read as a formula start with a `'`.",
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({
    description: 'A page of events (JSON), or all matching events (CSV)',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(AuditPage) } },
      'text/csv': { schema: { type: 'string' } },
    },
  })
  async find(
    @Query() query: AuditQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuditPage | StreamableFile> {
    const filters = {
      userId: query.userId,
      type: query.type,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
    };
    // The body depends on Accept: a cache must not give the CSV to a JSON client or the reverse.
    void reply.header('Vary', 'Accept');
    if (wantsCsv(accept)) {
      const batches = await this.auditService.export(filters);
      if (batches === null)
        throw new BadRequestException(`More than ${AUDIT_EXPORT_MAX} events match; narrow the filters (user, type or time) to export them`);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      void reply.header('Cache-Control', 'no-store');
      // Streamed a batch at a time: an export of many events never sits whole in the server's memory.
      return new StreamableFile(Readable.from(auditCsvChunks(views(batches))), {
        type: 'text/csv; charset=utf-8',
        disposition: `attachment; filename="gatehouse-audit-${stamp}.csv"`,
      });
    }
    const { items, total } = await this.auditService.find({ ...filters, page: query.page, limit: query.limit });
    return { items: items.map(AuditEventView.of), page: query.page, limit: query.limit, total };
  }
}
