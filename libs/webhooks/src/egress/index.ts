export {
  checkTargetUrl,
  parseEgressPolicy,
  type EgressPolicy,
  type EgressPolicyEnv,
} from './egress-policy';
export {
  EgressError,
  WebhookEgress,
  type EgressErrorKind,
  type EgressRequest,
  type EgressResult,
  type ResolvedAddress,
  type WebhookEgressOptions,
} from './webhook-egress';
