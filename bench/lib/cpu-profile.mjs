// Reads a V8 .cpuprofile (node --cpu-prof): self time per function and per package, and a
// flame graph as SVG.
import { escapeXml } from './report.mjs';

/** Which package a script belongs to: `node_modules/<name>`, Keel's own code, or Node. */
export function packageOf(url) {
  if (!url) return '(native / V8)';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  if (url.startsWith('node:')) return 'node (core)';
  const own = /\/dist\/(apps|libs)\/([^/]+)/.exec(url);
  return own ? `keel ${own[1]}/${own[2]}` : url;
}

function timesPerNode(profile) {
  const ms = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    ms.set(samples[i], (ms.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0) / 1000);
  }
  return ms;
}

const label = (frame) => {
  const file = frame.url ? frame.url.replace(/^.*?(node_modules\/|dist\/)/, '$1') : '';
  return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
};

/** Self time in ms, summed per function and per package, largest first. */
export function selfTimes(profile) {
  const ms = timesPerNode(profile);
  const byFunction = new Map();
  const byPackage = new Map();
  let totalMs = 0;
  for (const node of profile.nodes) {
    const self = ms.get(node.id) ?? 0;
    if (self === 0) continue;
    const name = node.callFrame.functionName;
    if (name === '(idle)' || name === '(program)') continue;
    totalMs += self;
    const fn = label(node.callFrame);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + self);
    const pkg =
      name === '(garbage collector)' ? '(garbage collector)' : packageOf(node.callFrame.url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + self);
  }
  const sorted = (map) => [...map.entries()].sort((a, b) => b[1] - a[1]);
  return { byFunction: sorted(byFunction), byPackage: sorted(byPackage), totalMs };
}

/** A flame graph: callers below callees, width proportional to total time; idle left out. */
export function flameGraph(profile, title) {
  const ms = timesPerNode(profile);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const total = new Map();
  const totalOf = (node) => {
    if (total.has(node.id)) return total.get(node.id);
    const name = node.callFrame.functionName;
    const own = name === '(idle)' || name === '(program)' ? 0 : (ms.get(node.id) ?? 0);
    const sum = own + (node.children ?? []).reduce((n, id) => n + totalOf(byId.get(id)), 0);
    total.set(node.id, sum);
    return sum;
  };
  const root = profile.nodes[0];
  const rootMs = totalOf(root);
  const width = 1600;
  const row = 16;
  const rects = [];
  let depthMax = 0;
  const walk = (node, x, depth) => {
    const w = (totalOf(node) / rootMs) * width;
    if (w < 0.5) return;
    depthMax = Math.max(depthMax, depth);
    const name = label(node.callFrame);
    const hue = 20 + ((packageOf(node.callFrame.url).length * 37) % 40);
    rects.push({ x, depth, w, name, ms: totalOf(node), hue });
    let childX = x;
    for (const id of node.children ?? []) {
      const child = byId.get(id);
      walk(child, childX, depth + 1);
      childX += (totalOf(child) / rootMs) * width;
    }
  };
  walk(root, 0, 0);
  const height = (depthMax + 3) * row;
  const body = rects.map(({ x, depth, w, name, ms: t, hue }) => {
    const y = height - (depth + 1) * row;
    const text = w > 40 ? escapeXml(name.slice(0, Math.floor(w / 6.5))) : '';
    return `<g><title>${escapeXml(name)} ${t.toFixed(0)} ms (${((t / rootMs) * 100).toFixed(1)}%)</title><rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${row - 1}" fill="hsl(${hue},85%,60%)"/><text x="${(x + 2).toFixed(1)}" y="${y + 12}">${text}</text></g>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace" font-size="11">`,
    `<text x="4" y="14" font-size="13">${escapeXml(`${title}: ${rootMs.toFixed(0)} ms of CPU sampled; hover for names`)}</text>`,
    ...body,
    '</svg>',
  ].join('\n');
}
