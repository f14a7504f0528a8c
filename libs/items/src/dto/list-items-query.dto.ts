import { PageQueryDto } from '@keel/core';
import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

export const ITEM_SORTS = ['createdAt', '-createdAt', 'name', '-name', 'price', '-price'] as const;
export type ItemSort = (typeof ITEM_SORTS)[number];

/** What selects and orders items, for pages and exports alike. */
export class ItemFilterDto {
  @ApiPropertyOptional({
    enum: ITEM_SORTS,
    default: '-createdAt',
    description: 'Sort field; a leading `-` sorts descending. Ties are broken by id.',
  })
  @IsOptional()
  @IsIn(ITEM_SORTS)
  sort: ItemSort = '-createdAt';

  @ApiPropertyOptional({ maxLength: 200, description: 'Case-insensitive substring of the name' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

export class ListItemsQueryDto extends IntersectionType(PageQueryDto, ItemFilterDto) {}

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;

export class ExportItemsQueryDto extends ItemFilterDto {
  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'csv' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format: (typeof EXPORT_FORMATS)[number] = 'csv';
}
