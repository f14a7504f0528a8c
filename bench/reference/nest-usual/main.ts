// The usual NestJS service, written as the common tutorials and boilerplates write it: Nest on
// Express (the default platform, `NestFactory.create(AppModule)`) or on Fastify, the same app on
// either, a TypeORM repository's `findOneBy`, the global ValidationPipe with a class-validator
// DTO, passport-jwt with the user read on every request, an rxjs logging interceptor and
// @nestjs/cache-manager's CacheInterceptor on Redis (@keyv/redis) for the item read. It uses the
// tables Keel's migrations made and Keel's JWT secret, issuer and audience, so Keel's tokens work;
// the create writes the item and an outbox row in one transaction, as Keel does. The list serves
// its newest 20 (scenario 6 reads the first page); deep cursors and the login are not served
// (– in the table). bench/run.mjs compiles this file and starts it:
//
//   node main.cjs <port> fastify|express   with DATABASE_URL, REDIS_URL, JWT_SECRET and
//                                          CACHE_NAMESPACE set
import { createKeyv } from '@keyv/redis';
import { CacheInterceptor, CacheModule } from '@nestjs/cache-manager';
import {
  Body,
  CallHandler,
  Controller,
  ExecutionContext,
  Get,
  Injectable,
  Logger,
  Module,
  NestInterceptor,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
  UnauthorizedException,
  UseGuards,
  UseInterceptors,
  ValidationPipe,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { IsNumberString, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import type { Keyv as KeyvFromEsm } from 'keyv' with { 'resolution-mode': 'import' };
import { randomUUID } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { Observable, tap } from 'rxjs';
import {
  Column,
  CreateDateColumn,
  DataSource,
  Entity,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  Repository,
  UpdateDateColumn,
} from 'typeorm';

@Entity('users')
class User {
  @PrimaryColumn('uuid') id!: string;
  @Column() email!: string;
  @Column() disabled!: boolean;
}

@Entity('items')
class Item {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'owner_id', type: 'uuid' }) ownerId!: string;
  @Column() name!: string;
  @Column() description!: string;
  @Column({ type: 'numeric', precision: 12, scale: 2 }) price!: string;
  @Column({ default: 1 }) version!: number;
  @CreateDateColumn({ name: 'created_at' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at' }) updatedAt!: Date;
}

@Entity('outbox')
class OutboxEvent {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  seq!: string;
  @Column('uuid') id!: string;
  @Column() type!: string;
  @Column({ name: 'aggregate_type' }) aggregateType!: string;
  @Column({ name: 'aggregate_id' }) aggregateId!: string;
  @Column({ name: 'actor_id', type: 'uuid' }) actorId!: string;
  @Column({ type: 'jsonb' }) data!: object;
  // Stamped as published: this app has no relay, and Keel's relay must not publish its rows
  // while this app is measured.
  @Column({ name: 'published_at', type: 'timestamptz' }) publishedAt!: Date;
}

class CreateItemDto {
  @IsString() @MinLength(1) @MaxLength(200) name!: string;
  @IsNumberString() price!: string;
  @IsOptional() @IsString() @MaxLength(2000) description?: string;
}

interface JwtPayload {
  sub: string;
}

@Injectable()
class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: process.env.JWT_SECRET!,
      algorithms: ['HS256'],
      issuer: 'keel',
      audience: 'keel-api',
    });
  }

  async validate(payload: JwtPayload): Promise<User> {
    const user = await this.users.findOneBy({ id: payload.sub });
    if (!user || user.disabled) throw new UnauthorizedException();
    return user;
  }
}

@Injectable()
class LoggingInterceptor implements NestInterceptor {
  private readonly logger = new Logger('HTTP');

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const { method, url } = context.switchToHttp().getRequest<{ method: string; url: string }>();
    const started = Date.now();
    return next
      .handle()
      .pipe(tap(() => this.logger.log(`${method} ${url} ${Date.now() - started}ms`)));
  }
}

@Injectable()
class ItemsService {
  constructor(
    @InjectRepository(Item) private readonly items: Repository<Item>,
    private readonly dataSource: DataSource,
  ) {}

  findNewest(): Promise<Item[]> {
    return this.items.find({ order: { createdAt: 'DESC', id: 'DESC' }, take: 20 });
  }

  async findOne(id: string): Promise<Item> {
    const item = await this.items.findOneBy({ id });
    if (!item) throw new NotFoundException();
    return item;
  }

  create(dto: CreateItemDto, user: User): Promise<Item> {
    return this.dataSource.transaction(async (manager) => {
      const item = manager.create(Item, { ...dto, id: randomUUID(), ownerId: user.id });
      await manager.save(item);
      await manager.save(
        manager.create(OutboxEvent, {
          id: randomUUID(),
          type: 'item.created',
          aggregateType: 'item',
          aggregateId: item.id,
          actorId: user.id,
          data: { item },
          publishedAt: new Date(),
        }),
      );
      return item;
    });
  }
}

@Controller('v1/items')
class ItemsController {
  constructor(private readonly itemsService: ItemsService) {}

  @Get()
  async findAll(): Promise<{ items: Item[] }> {
    return { items: await this.itemsService.findNewest() };
  }

  @Get(':id')
  @UseInterceptors(CacheInterceptor)
  findOne(@Param('id', ParseUUIDPipe) id: string): Promise<Item> {
    return this.itemsService.findOne(id);
  }

  @Post()
  @UseGuards(AuthGuard('jwt'))
  create(@Body() dto: CreateItemDto, @Req() req: { user: User }): Promise<Item> {
    return this.itemsService.create(dto, req.user);
  }
}

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: process.env.DATABASE_URL,
      entities: [User, Item, OutboxEvent],
      synchronize: false,
    }),
    TypeOrmModule.forFeature([User, Item, OutboxEvent]),
    PassportModule,
    CacheModule.register({
      ttl: 60_000,
      // keyv's CommonJS and ESM typings declare the same class twice (see libs/core's cache).
      stores: [
        createKeyv(process.env.REDIS_URL, {
          namespace: process.env.CACHE_NAMESPACE,
        }) as unknown as KeyvFromEsm,
      ],
    }),
  ],
  controllers: [ItemsController],
  providers: [ItemsService, JwtStrategy],
})
class AppModule {}

async function bootstrap(): Promise<void> {
  const platform = process.argv[3];
  if (platform !== 'fastify' && platform !== 'express') throw new Error('fastify or express?');
  // Fastify is loaded only when chosen, so the Express app's memory is the Express app's.
  const app =
    platform === 'express'
      ? await NestFactory.create(AppModule)
      : await NestFactory.create<NestFastifyApplication>(
          AppModule,
          new (await import('@nestjs/platform-fastify')).FastifyAdapter(),
        );
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, transform: true }));
  app.useGlobalInterceptors(new LoggingInterceptor());
  await app.listen(Number(process.argv[2]), '127.0.0.1');
  process.send?.('ready');
}
void bootstrap();
