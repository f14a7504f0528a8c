import type { AuthUser } from '@keel/core';
import { Command } from '@nestjs/cqrs';
import type { Create__Singular__Dto, __Singular__ResponseDto } from '../../dto/__singular__.dto';

export class Create__Singular__Command extends Command<__Singular__ResponseDto> {
  constructor(
    readonly actor: AuthUser,
    readonly input: Create__Singular__Dto,
  ) {
    super();
  }
}
