export * from './__plural__.module';
export * from './entities/__singular__.entity';
export * from './dto/__singular__.dto';
export * from './dto/__singular__.mapper';
export * from './__plural__.errors';
export * from './events/__singular__-created.event';
export * from './commands/create-__singular__/create-__singular__.command';
export * from './queries/get-__singular__/get-__singular__.query';
