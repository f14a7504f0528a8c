import type { __Singular__ResponseDto } from '../dto/__singular__.dto';

/** The outbox `aggregateType` of events about __plural_words__. */
export const __SINGULAR___AGGREGATE = '__singular_snake__';

/** Recorded in the outbox in the transaction that creates the __singular_words__. */
export const __SINGULAR___CREATED = '__singular_snake__.created';

/** The event's `data`: the __singular_words__ as the API answered it. */
export interface __Singular__CreatedEvent {
  __singularCamel__: __Singular__ResponseDto;
}
