import { Injectable } from '@nestjs/common';

/** Set when SIGTERM arrives: readiness fails so the load balancer stops sending traffic. */
@Injectable()
export class ShutdownState {
  private draining = false;

  begin(): void {
    this.draining = true;
  }

  get isShuttingDown(): boolean {
    return this.draining;
  }
}
