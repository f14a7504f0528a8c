import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Create__Singular__Handler } from './commands/create-__singular__/create-__singular__.handler';
import { __Singular__ } from './entities/__singular__.entity';
import { __Plural__Controller } from './__plural__.controller';
import { Get__Singular__Handler } from './queries/get-__singular__/get-__singular__.handler';

/** Every handler is listed here once; the buses find them by their decorators. */
@Module({
  imports: [TypeOrmModule.forFeature([__Singular__])],
  controllers: [__Plural__Controller],
  providers: [Create__Singular__Handler, Get__Singular__Handler],
})
export class __Plural__Module {}
