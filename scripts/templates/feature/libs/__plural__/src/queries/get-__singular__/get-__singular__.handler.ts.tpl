import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { __Singular__ResponseDto } from '../../dto/__singular__.dto';
import { map__Singular__ } from '../../dto/__singular__.mapper';
import { __Singular__ } from '../../entities/__singular__.entity';
import { __Singular__NotFoundError } from '../../__plural__.errors';
import { Get__Singular__Query } from './get-__singular__.query';

@QueryHandler(Get__Singular__Query)
export class Get__Singular__Handler implements IQueryHandler<Get__Singular__Query> {
  constructor(@InjectRepository(__Singular__) private readonly rows: Repository<__Singular__>) {}

  async execute({ ownerId, id }: Get__Singular__Query): Promise<__Singular__ResponseDto> {
    const row = await this.rows.findOneBy({ id, ownerId });
    if (!row) throw new __Singular__NotFoundError();
    return map__Singular__(row);
  }
}
