import { PageQueryDto } from '@keel/core';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

export const ITEM_SORTS = ['createdAt', '-createdAt', 'name', '-name', 'price', '-price'] as const;
export type ItemSort = (typeof ITEM_SORTS)[number];

export class ListItemsQueryDto extends PageQueryDto {
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
