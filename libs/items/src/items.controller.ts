import {
  AllowApiKey,
  ApiProblems,
  ApiResponseHeader,
  CachedResponse,
  CurrentUser,
  EntityTagInterceptor,
  IfMatch,
  mediaTypeOf,
  Public,
  StreamedBody,
  UnsupportedMediaTypeError,
  ValidationFailedError,
  uuidParam,
  type AuthUser,
  type VersionPrecondition,
} from '@keel/core';
import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
  StreamableFile,
  UseInterceptors,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { JobResponseDto } from '@keel/jobs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CreateItemCommand } from './commands/create-item/create-item.command';
import { DeleteItemCommand } from './commands/delete-item/delete-item.command';
import { StartImportCommand } from './commands/start-import/start-import.command';
import { UpdateItemCommand } from './commands/update-item/update-item.command';
import { CreateItemDto, ItemPageDto, ItemResponseDto, UpdateItemDto } from './dto/item.dto';
import { ExportItemsQueryDto, ListItemsQueryDto } from './dto/list-items-query.dto';
import { ExportItemsQuery } from './queries/export-items/export-items.query';
import { ITEMS_LIST_TAG, itemTag } from './items.cache';
import { GetItemQuery } from './queries/get-item/get-item.query';
import { ListItemsQuery } from './queries/list-items/list-items.query';

/** Printable ASCII without spaces at the ends, as the IETF draft and common APIs use. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e][\x20-\x7e]{0,253}[\x21-\x7e]?$/;

const IMPORT_TYPES = { 'text/csv': 'csv', 'application/x-ndjson': 'ndjson' } as const;

const etag = (statuses?: number[]) =>
  ApiResponseHeader(
    'ETag',
    "The item's version as an entity tag: If-Match to change the item, If-None-Match to read it again.",
    statuses,
  );
const location = (what: string) => ApiResponseHeader('Location', `The ${what}'s URL.`);

const ifMatchHeader = ApiHeader({
  name: 'If-Match',
  required: false,
  description: 'The ETag you last read; 412 if the item changed since.',
});

@ApiTags('items')
@UseInterceptors(EntityTagInterceptor)
@Controller('items')
export class ItemsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @Public()
  @CachedResponse(() => ITEMS_LIST_TAG)
  @ApiOperation({ operationId: 'listItems', summary: 'List items, a page at a time' })
  @ApiOkResponse({ type: ItemPageDto })
  @ApiProblems(400)
  list(@Query() query: ListItemsQueryDto): Promise<ItemPageDto> {
    return this.queries.execute(
      new ListItemsQuery({
        limit: query.limit,
        sort: query.sort,
        cursor: query.cursor,
        q: query.q,
      }),
    );
  }

  @Get('export')
  @ApiBearerAuth()
  @AllowApiKey('items:read')
  @ApiOperation({
    operationId: 'exportItems',
    summary: 'Download every matching item as CSV or NDJSON',
    description:
      'Same `sort` and `q` as the list. Streamed in batches: memory stays flat whatever the size, and a client that disconnects stops the reads.',
  })
  @ApiProduces('text/csv', 'application/x-ndjson')
  @ApiOkResponse({ description: 'The items, one per line (CSV with a header row)' })
  @ApiProblems(400, 401)
  export(@Query() query: ExportItemsQueryDto): Promise<StreamableFile> {
    return this.queries.execute(new ExportItemsQuery(query.format, query.sort, query.q));
  }

  @Post('imports')
  @HttpCode(202)
  @StreamedBody()
  @ApiBearerAuth()
  @AllowApiKey('items:write')
  @ApiOperation({
    operationId: 'importItems',
    summary: 'Import items from a CSV or NDJSON file, as a background job',
    description: [
      'CSV needs a header row with `name` and `price` (and optionally `description`); NDJSON is one JSON object per line.',
      'Each row is checked exactly like the body of `POST /v1/items`; refused rows are reported with their line number and do not stop the others.',
      'The upload is streamed and stored (at most `IMPORT_MAX_BYTES`, 100 MB by default); the answer is the queued job, with `Location: /v1/jobs/{id}`.',
      'Watch it with `GET /v1/jobs/{id}` or the `job.*` events on `GET /v1/events/stream`.',
    ].join('\n\n'),
  })
  @ApiConsumes(...Object.keys(IMPORT_TYPES))
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiAcceptedResponse({ type: JobResponseDto, description: 'With `Location` of the job' })
  @location('job')
  @ApiProblems(400, 401, 413, 415)
  async import(
    @CurrentUser() user: AuthUser,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JobResponseDto> {
    const type = mediaTypeOf(request);
    const format =
      type !== undefined && type in IMPORT_TYPES
        ? IMPORT_TYPES[type as keyof typeof IMPORT_TYPES]
        : undefined;
    if (format === undefined) throw new UnsupportedMediaTypeError(Object.keys(IMPORT_TYPES));
    const length = request.headers['content-length'];
    const job = await this.commands.execute(
      new StartImportCommand(
        user,
        format,
        request.raw,
        length === undefined ? undefined : Number(length),
      ),
    );
    void reply.header('location', `/v1/jobs/${job.id}`);
    return job;
  }

  @Get(':id')
  @Public()
  @CachedResponse((params) => itemTag(params.id ?? ''))
  @ApiOperation({ operationId: 'getItem', summary: 'Read an item' })
  @ApiOkResponse({ type: ItemResponseDto, description: 'With `ETag`' })
  @ApiNotModifiedResponse({ description: '`If-None-Match` holds the current ETag' })
  @etag([200, 304])
  @ApiProblems(400, 404)
  get(@Param('id', uuidParam()) id: string): Promise<ItemResponseDto> {
    return this.queries.execute(new GetItemQuery(id));
  }

  @Post()
  @ApiBearerAuth()
  @AllowApiKey('items:write')
  @ApiOperation({ operationId: 'createItem', summary: 'Create an item owned by you' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Retries with the same key and body within 24 hours return the first response and create nothing; the same key with another body is a 422.',
  })
  @ApiCreatedResponse({ type: ItemResponseDto, description: 'With `Location` and `ETag`' })
  @etag()
  @location('item')
  @ApiResponseHeader(
    'Idempotent-Replayed',
    '`true` when this is the stored answer to an earlier request with the same Idempotency-Key.',
  )
  @ApiProblems(400, 401, 422)
  async create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateItemDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ItemResponseDto> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new ValidationFailedError([
        { field: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' },
      ]);
    }
    const { item, replayed } = await this.commands.execute(
      new CreateItemCommand(user, dto, idempotencyKey),
    );
    void reply.header('location', `/v1/items/${item.id}`);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return item;
  }

  @Patch(':id')
  @ApiBearerAuth()
  @AllowApiKey('items:write')
  @ifMatchHeader
  @ApiOperation({ operationId: 'updateItem', summary: 'Change an item (owner or admin)' })
  @ApiOkResponse({ type: ItemResponseDto, description: 'With `ETag`' })
  @etag()
  @ApiProblems(400, 401, 404, 412)
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam()) id: string,
    @Body() dto: UpdateItemDto,
    @IfMatch() precondition: VersionPrecondition,
  ): Promise<ItemResponseDto> {
    return this.commands.execute(new UpdateItemCommand(user, id, dto, precondition));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiBearerAuth()
  @AllowApiKey('items:write')
  @ifMatchHeader
  @ApiOperation({ operationId: 'deleteItem', summary: 'Delete an item (owner or admin)' })
  @ApiNoContentResponse()
  @ApiProblems(400, 401, 404, 412)
  remove(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam()) id: string,
    @IfMatch() precondition: VersionPrecondition,
  ): Promise<void> {
    return this.commands.execute(new DeleteItemCommand(user, id, precondition));
  }
}
