import { Query } from '@nestjs/cqrs';
import type { __Singular__ResponseDto } from '../../dto/__singular__.dto';

export class Get__Singular__Query extends Query<__Singular__ResponseDto> {
  constructor(
    readonly ownerId: string,
    readonly id: string,
  ) {
    super();
  }
}
