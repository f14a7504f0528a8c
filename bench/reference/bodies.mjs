// What the reference servers answer: the bodies Keel gave for the same routes, captured by the
// runner and passed as a JSON file (argv[3]). Both servers serve them from memory.
import { readFileSync } from 'node:fs';

export const port = Number(process.argv[2]);
const bodies = JSON.parse(readFileSync(process.argv[3], 'utf8'));

/** Serialized once: a route from memory costs what the framework costs, nothing more. */
export const responses = {
  item: JSON.stringify(bodies.item),
  page: JSON.stringify(bodies.page),
  created: JSON.stringify(bodies.created),
  login: JSON.stringify(bodies.login),
};

/** Tells the runner the server listens. */
export function ready() {
  process.send?.('ready');
}
