import { DomainError } from '@keel/core';

export class JobNotFoundError extends DomainError {
  constructor() {
    super('not_found', 'JOB.NOT_FOUND', 'No such job.');
  }
}

export class JobFinishedError extends DomainError {
  constructor(state: string) {
    super(
      'conflict',
      'JOB.FINISHED',
      `The job has already ${state === 'cancelled' ? 'been cancelled' : state}.`,
    );
  }
}
