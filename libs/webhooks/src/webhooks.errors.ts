import { DomainError } from '@keel/core';

export class WebhookNotFoundError extends DomainError {
  constructor() {
    super('not_found', 'WEBHOOK.NOT_FOUND', 'You have no webhook with this id.');
  }
}

export class WebhookDeliveryNotFoundError extends DomainError {
  constructor() {
    super('not_found', 'WEBHOOK.DELIVERY_NOT_FOUND', 'This webhook has no delivery with this id.');
  }
}

/** The target URL is refused when it is saved (scheme, credentials, a private address). */
export class WebhookUrlRefusedError extends DomainError {
  constructor(reason: string) {
    super('validation', 'WEBHOOK.URL_REFUSED', `The webhook URL is refused: it ${reason}.`, [
      { field: 'url', message: `url ${reason}` },
    ]);
  }
}

export class WebhookLimitError extends DomainError {
  constructor(max: number) {
    super('conflict', 'WEBHOOK.LIMIT_REACHED', `You have ${max} webhooks, the most allowed.`);
  }
}

/** A delivery still waiting or being sent cannot be sent again yet. */
export class WebhookDeliveryUnfinishedError extends DomainError {
  constructor() {
    super(
      'conflict',
      'WEBHOOK.DELIVERY_UNFINISHED',
      'This delivery has not finished yet; redeliver it once it was delivered or failed.',
    );
  }
}
