import { CreateUsers1795390000000 } from './1795390000000-create-users';
import { CreateItems1795560000000 } from './1795560000000-create-items';
import { CreateOutbox1795700000000 } from './1795700000000-create-outbox';
import { CreateJobs1795900000000 } from './1795900000000-create-jobs';
import { RefreshTokenSuccessor1796000000000 } from './1796000000000-refresh-token-successor';
import { OutboxPosition1796100000000 } from './1796100000000-outbox-position';
import { OutboxTraceContext1796200000000 } from './1796200000000-outbox-trace-context';
import { CreateAuthSessions1796300000000 } from './1796300000000-create-auth-sessions';
import { AuthMailTokens1796310000000 } from './1796310000000-auth-mail-tokens';
import { CreateApiKeys1796400000000 } from './1796400000000-create-api-keys';
import { CreateMfa1796500000000 } from './1796500000000-create-mfa';
import { CreateOidc1796600000000 } from './1796600000000-create-oidc';
import { CreateClusterTasks1796620000000 } from './1796620000000-create-cluster-tasks';
import { CreateWebhooks1796700000000 } from './1796700000000-create-webhooks';

/** Every migration, oldest first. Add new ones here (`npm run migration:generate` writes the file). */
export const migrations = [
  CreateUsers1795390000000,
  CreateItems1795560000000,
  CreateOutbox1795700000000,
  CreateJobs1795900000000,
  RefreshTokenSuccessor1796000000000,
  OutboxPosition1796100000000,
  OutboxTraceContext1796200000000,
  CreateAuthSessions1796300000000,
  AuthMailTokens1796310000000,
  CreateApiKeys1796400000000,
  CreateMfa1796500000000,
  CreateOidc1796600000000,
  CreateClusterTasks1796620000000,
  CreateWebhooks1796700000000,
];
