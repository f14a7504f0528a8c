import { IdempotencyModule } from '@keel/database';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CreateItemHandler } from './commands/create-item/create-item.handler';
import { DeleteItemHandler } from './commands/delete-item/delete-item.handler';
import { UpdateItemHandler } from './commands/update-item/update-item.handler';
import { Item } from './entities/item.entity';
import { ItemsController } from './items.controller';
import { GetItemHandler } from './queries/get-item/get-item.handler';
import { ListItemsHandler } from './queries/list-items/list-items.handler';
import { ExportItemsHandler } from './queries/export-items/export-items.handler';
import { StartImportHandler } from './commands/start-import/start-import.handler';
import { ImportItemsJob } from './imports/import-items.job';
import { ItemParserPool } from './imports/parser-pool';

@Module({
  imports: [TypeOrmModule.forFeature([Item]), IdempotencyModule],
  controllers: [ItemsController],
  providers: [
    CreateItemHandler,
    UpdateItemHandler,
    DeleteItemHandler,
    GetItemHandler,
    ListItemsHandler,
    ExportItemsHandler,
    StartImportHandler,
    ImportItemsJob,
    ItemParserPool,
  ],
})
export class ItemsModule {}
