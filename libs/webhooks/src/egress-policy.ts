import { appConfig, webhooksConfig } from '@keel/core';
import type { ConfigType } from '@nestjs/config';
import { parseEgressPolicy, type EgressPolicy } from './egress';

/** Injection token of the EgressPolicy (WEBHOOK_ALLOW_HOSTS, WEBHOOK_ALLOW_HTTP). */
export const EGRESS_POLICY = Symbol('EGRESS_POLICY');

export const egressPolicyProvider = {
  provide: EGRESS_POLICY,
  inject: [webhooksConfig.KEY, appConfig.KEY],
  useFactory: (
    cfg: ConfigType<typeof webhooksConfig>,
    app: ConfigType<typeof appConfig>,
  ): EgressPolicy =>
    parseEgressPolicy({
      WEBHOOK_ALLOW_HOSTS: cfg.allowHosts,
      WEBHOOK_ALLOW_HTTP: cfg.allowHttp,
      NODE_ENV: app.nodeEnv,
    }),
};
