/** A user was disabled or deleted: their sessions must end. */
export class UserAccessRevokedEvent {
  constructor(
    readonly userId: string,
    readonly reason: 'disabled' | 'deleted',
  ) {}
}
