// Turns measured runs into the summary rows, the target checks, a Markdown table and an SVG chart.

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const round = (n, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * One row per scenario and server: median req/s, p50 and p99 over the runs, the worst max,
 * errors summed, peak RSS. `ratio` is req/s over the median of the row's `baseline` server
 * in the same scenario (node:http, or one process for scenario 7).
 */
export function summarize(runs) {
  const groups = new Map();
  for (const run of runs) {
    const key = `${run.scenario}|${run.server}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(run);
  }
  const rows = [...groups.values()].map((group) => {
    const [first] = group;
    return {
      scenario: first.scenario,
      name: first.name,
      server: first.server,
      baseline: first.baseline,
      runs: group.length,
      rps: Math.round(median(group.map((r) => r.rps))),
      p50: round(median(group.map((r) => r.p50))),
      p99: round(median(group.map((r) => r.p99))),
      cpuUs: Math.round(median(group.map((r) => r.cpuUs))),
      max: round(Math.max(...group.map((r) => r.max))),
      errors: group.reduce((n, r) => n + r.errors, 0),
      non2xx: group.reduce((n, r) => n + r.non2xx, 0),
      rssMb: Math.max(...group.map((r) => r.rssMb)),
      rssTotalMb: Math.max(...group.map((r) => r.rssTotalMb)),
      pssTotalMb: Math.max(...group.map((r) => r.pssTotalMb ?? 0)),
      hitRatio: hitRatio(group),
      wrapped: group.some((r) => r.wrapped),
    };
  });
  for (const row of rows) {
    const base = rows.find((r) => r.scenario === row.scenario && r.server === row.baseline);
    row.ratio = base && base.rps > 0 ? round(row.rps / base.rps, 2) : undefined;
    if (!isKeel(row) || row.scenario.startsWith('7')) continue;
    // Keel's req/s over each reference's in the same scenario.
    row.vs = {};
    for (const ref of REFERENCES) {
      const other = rows.find((r) => r.scenario === row.scenario && r.server === ref);
      if (other && other.rps > 0) row.vs[ref] = round(row.rps / other.rps, 2);
    }
  }
  return rows;
}

/** The usual Nest app's two rows: the same app (bench/reference/nest-usual) on each platform. */
export const NEST_FASTIFY = 'usual Nest (Fastify)';
export const NEST_EXPRESS = 'usual Nest (Express)';

/** The reference servers, in the table's column order. */
export const REFERENCES = ['node:http', 'Fastify', NEST_FASTIFY, NEST_EXPRESS, 'raw pg'];

/** A reference's name in a column heading. */
const SHORT_NAMES = { [NEST_FASTIFY]: 'Nest Fastify', [NEST_EXPRESS]: 'Nest Express' };
const short = (ref) => SHORT_NAMES[ref] ?? ref;

/** X-Cache: HIT over the answers that carried the header, over all runs; undefined if none. */
function hitRatio(group) {
  const hits = group.reduce((n, r) => n + (r.hits ?? 0), 0);
  const answered = hits + group.reduce((n, r) => n + (r.misses ?? 0), 0);
  return answered > 0 ? round(hits / answered, 3) : undefined;
}

const isKeel = (row) => row.server.startsWith('Keel');

/**
 * The performance goals, checked against the rows that were measured. "The usual Nest app" is
 * the one on Fastify: the faster of its two platforms where the framework's cost shows (the
 * cached read), so the stricter goal there; on a database-bound read the two are close.
 */
export function checkTargets(rows) {
  const checks = [];
  const check = (what, value, ok) => checks.push({ what, value, ok });
  const against = (row, ref, goal) => {
    const ratio = row.vs?.[ref];
    if (ratio !== undefined)
      check(`${row.scenario} ${row.server}: ≥ ${goal}× ${ref}`, `${ratio}×`, ratio >= goal);
  };
  for (const row of rows.filter(isKeel)) {
    const label = `${row.scenario} ${row.server}`;
    const p99 = (ms) => check(`${label}: p99 < ${ms} ms`, `${row.p99} ms`, row.p99 < ms);
    if (row.scenario === '1') {
      against(row, NEST_FASTIFY, 1.5);
      check(`${label}: ≥ 60% of node:http`, pct(row.ratio), row.ratio >= 0.6);
      p99(10);
    }
    if (row.scenario === '2' || row.scenario === '4') {
      against(row, NEST_FASTIFY, 2);
      against(row, 'raw pg', 0.6);
      p99(row.scenario === '2' ? 30 : 60);
    }
    if (row.scenario.startsWith('7') && row.ratio !== undefined && row.ratio !== 1) {
      check(`${label}: ≥ 1.5× one process`, `${row.ratio}×`, row.ratio >= 1.5);
    }
    // Per API process in the full profile; everything the embedded profile runs (Node and
    // its Postgres server's processes, as PSS so shared buffers count once).
    if (row.server.includes('embedded')) {
      check(`${label}: PSS of all < 300 MB`, `${row.pssTotalMb} MB`, row.pssTotalMb < 300);
    } else {
      check(`${label}: RSS < 200 MB`, `${row.rssMb} MB`, row.rssMb < 200);
    }
  }
  const failed = rows.filter((r) => r.errors + r.non2xx > 0);
  check(
    'no errors or non-2xx answers',
    failed.length === 0 ? '0' : failed.map((r) => `${r.scenario} ${r.server}`).join(', '),
    failed.length === 0,
  );
  return checks;
}

const pct = (ratio) => (ratio === undefined ? '–' : `${Math.round(ratio * 100)}%`);
const num = (n) => n.toLocaleString('en-US');

/** The Markdown table, with the conditions of the run and the target checks under it. */
export function markdown(rows, checks, meta) {
  const lines = [
    `| # | Scenario | Server | req/s | CPU µs per request | p50 ms | p99 ms | max ms | errors | non-2xx | cache hits | peak RSS MB | of node:http | ${REFERENCES.slice(
      1,
    )
      .map((ref) => `Keel ÷ ${short(ref)}`)
      .join(' | ')} |`,
    `|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|${REFERENCES.slice(1)
      .map(() => '--:|')
      .join('')}`,
  ];
  for (const r of rows) {
    const ratio = r.scenario.startsWith('7')
      ? r.ratio === undefined
        ? '–'
        : `${r.ratio}×`
      : pct(r.ratio);
    const rss =
      r.rssTotalMb > r.rssMb
        ? `${r.rssMb} (${r.rssTotalMb} in all${r.pssTotalMb ? `, PSS ${r.pssTotalMb}` : ''})`
        : `${r.rssMb}`;
    // A reference answers from memory: whether its keys repeat does not matter.
    const note = r.wrapped && isKeel(r) ? ' ⚠ ran out of unread keys' : '';
    const hits = r.hitRatio === undefined ? '–' : `${round(r.hitRatio * 100)}%`;
    const vs = REFERENCES.slice(1).map((ref) =>
      r.vs?.[ref] === undefined ? '–' : `${r.vs[ref]}×`,
    );
    lines.push(
      `| ${r.scenario} | ${r.name}${note} | ${r.server} | ${num(r.rps)} | ${num(r.cpuUs)} | ${r.p50} | ${r.p99} | ${r.max} | ${r.errors} | ${r.non2xx} | ${hits} | ${rss} | ${ratio} | ${vs.join(' | ')} |`,
    );
  }
  lines.push(
    '',
    `Of node:http: req/s against bare \`node:http\` in the same scenario; for 7, two workers against one process. ` +
      `Keel ÷ X: Keel's req/s over reference X's in the same scenario (– where X does not serve the scenario or did not run: ` +
      `the usual Nest app and raw pg run in the full profile only and serve the item read, the create and the mix). ` +
      `Nest Fastify, Nest Express: the same usual Nest app on @nestjs/platform-fastify and on the default @nestjs/platform-express; ` +
      `the targets compare Keel with the one on Fastify, Nest's faster platform where the framework's cost shows. ` +
      `Cache hits: share of X-Cache: HIT among the answers (Keel and the usual Nest app's CacheInterceptor send the header; – where none did). ${meta.conditions}`,
    '',
    '| Target | Measured | |',
    '|---|--:|---|',
    ...checks.map((c) => `| ${c.what} | ${c.value} | ${c.ok ? 'met' : '**missed**'} |`),
  );
  return lines.join('\n');
}

export const escapeXml = (text) =>
  String(text).replace(
    /[<>&"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c],
  );

/** A horizontal bar per row: req/s as a share of the scenario's baseline, with the values. */
export function svgChart(rows, meta) {
  const barHeight = 18;
  const gap = 6;
  const left = 330;
  const width = 520;
  const top = 40;
  let y = top;
  const parts = [];
  let scenario;
  for (const r of rows) {
    if (r.scenario !== scenario) {
      scenario = r.scenario;
      y += gap;
      parts.push(
        `<text x="8" y="${y + 12}" font-weight="bold">${escapeXml(`${r.scenario}. ${r.name}`)}</text>`,
      );
      y += barHeight;
    }
    const share = Math.min(r.ratio ?? 0, 2.5) / 2.5;
    const colour = isKeel(r) ? '#2563eb' : '#9ca3af';
    const ratio = r.scenario.startsWith('7') ? `${r.ratio ?? '–'}×` : pct(r.ratio);
    parts.push(
      `<text x="24" y="${y + 13}">${escapeXml(r.server)}</text>`,
      `<rect x="${left - 160}" y="${y + 2}" width="${Math.max(1, share * width)}" height="${barHeight - 4}" fill="${colour}"/>`,
      `<text x="${left - 156 + Math.max(1, share * width)}" y="${y + 13}">${escapeXml(`${num(r.rps)} req/s · ${ratio} · p99 ${r.p99} ms`)}</text>`,
    );
    y += barHeight;
  }
  const height = y + 30;
  const scale = (x) => left - 160 + (x / 2.5) * width;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 180}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="20" font-size="14" font-weight="bold">Keel under load: req/s against bare node:http (7: against one process)</text>`,
    `<line x1="${scale(1)}" y1="${top}" x2="${scale(1)}" y2="${y}" stroke="#111" stroke-dasharray="4 3"/>`,
    `<text x="${scale(1) + 4}" y="${top - 4}">1×</text>`,
    ...parts,
    `<text x="8" y="${height - 10}" fill="#555">${escapeXml(meta.conditions)}</text>`,
    '</svg>',
  ].join('\n');
}
