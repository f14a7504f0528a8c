import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { allConfigNamespaces } from './config.namespaces';

@Global()
@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      cache: true,
      load: allConfigNamespaces,
      ignoreEnvFile: process.env.NODE_ENV === 'test',
    }),
  ],
})
export class KeelConfigModule {}
