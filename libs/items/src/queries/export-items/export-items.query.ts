import type { StreamableFile } from '@nestjs/common';
import { Query } from '@nestjs/cqrs';
import type { ItemSort } from '../../dto/list-items-query.dto';

export type ExportFormat = 'csv' | 'ndjson';

export class ExportItemsQuery extends Query<StreamableFile> {
  constructor(
    readonly format: ExportFormat,
    readonly sort: ItemSort,
    readonly q?: string,
  ) {
    super();
  }
}
