import type { __Singular__ } from '../entities/__singular__.entity';
import type { __Singular__ResponseDto } from './__singular__.dto';

export function map__Singular__(row: __Singular__): __Singular__ResponseDto {
  return {
    id: row.id,
    name: row.name,
    ownerId: row.ownerId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
