export * from './entities/job.entity';
export * from './dto/job.dto';
export * from './job-handler';
export * from './jobs';
export * from './jobs.module';
export * from './upload-store';
export * from './job-queue';
export * from './queries/get-job/get-job.query';
