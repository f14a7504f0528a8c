export * from './database.module';
export * from './data-source-options';
export * from './migrate';
export * from './migrations';
export * from './idempotency/idempotency-key.entity';
export * from './idempotency/idempotency';
export * from './idempotency/idempotency.module';
export * from './sql';
