export * from './entities/job.entity';
export * from './dto/job.dto';
export * from './job-handler';
export * from './jobs';
export * from './jobs.module';
export * from './upload-store';
