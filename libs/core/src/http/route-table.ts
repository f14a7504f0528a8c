import FindMyWay from 'find-my-way';

/** Every route Fastify knows, by path, so an unknown method can be answered 405 with `Allow`. */
export class RouteTable {
  private readonly router = FindMyWay();
  private readonly methods = new Set<string>();

  add(method: string | string[], path: string): void {
    for (const m of Array.isArray(method) ? method : [method]) {
      // CORS answers OPTIONS on every path; it says nothing about which methods a path has.
      if (m === 'OPTIONS') continue;
      this.methods.add(m);
      this.router.on(m as FindMyWay.HTTPMethod, path, () => undefined);
    }
  }

  allowedMethods(url: string): string[] {
    const path = url.split('?')[0];
    return [...this.methods]
      .filter((m) => this.router.find(m as FindMyWay.HTTPMethod, path) !== null)
      .sort();
  }
}
