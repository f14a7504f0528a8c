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
      max: Math.max(...group.map((r) => r.max)),
      errors: group.reduce((n, r) => n + r.errors, 0),
      non2xx: group.reduce((n, r) => n + r.non2xx, 0),
      rssMb: Math.max(...group.map((r) => r.rssMb)),
      rssTotalMb: Math.max(...group.map((r) => r.rssTotalMb)),
      wrapped: group.some((r) => r.wrapped),
    };
  });
  for (const row of rows) {
    const base = rows.find((r) => r.scenario === row.scenario && r.server === row.baseline);
    row.ratio = base && base.rps > 0 ? round(row.rps / base.rps, 2) : undefined;
  }
  return rows;
}

const isKeel = (row) => row.server.startsWith('Keel');

/** The issue's targets, checked against the rows that were measured. */
export function checkTargets(rows) {
  const checks = [];
  const check = (what, value, ok) => checks.push({ what, value, ok });
  for (const row of rows.filter(isKeel)) {
    const label = `${row.scenario} ${row.server}`;
    if (row.scenario === '1') {
      check(`${label}: ≥ 60% of node:http`, pct(row.ratio), row.ratio >= 0.6);
      check(`${label}: p99 < 10 ms`, `${row.p99} ms`, row.p99 < 10);
    }
    if (row.scenario === '2')
      check(`${label}: ≥ 25% of node:http`, pct(row.ratio), row.ratio >= 0.25);
    if (row.scenario === '4') {
      check(`${label}: ≥ 2,000 req/s`, `${row.rps} req/s`, row.rps >= 2000);
      check(`${label}: p99 < 50 ms`, `${row.p99} ms`, row.p99 < 50);
    }
    if (row.scenario.startsWith('7') && row.ratio !== undefined && row.ratio !== 1) {
      check(`${label}: ≥ 1.5× one process`, `${row.ratio}×`, row.ratio >= 1.5);
    }
    check(`${label}: RSS < 300 MB`, `${row.rssMb} MB`, row.rssMb < 300);
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
    `| # | Scenario | Server | req/s | p50 ms | p99 ms | max ms | errors | non-2xx | peak RSS MB | ratio |`,
    `|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|`,
  ];
  for (const r of rows) {
    const ratio = r.scenario.startsWith('7')
      ? r.ratio === undefined
        ? '–'
        : `${r.ratio}×`
      : pct(r.ratio);
    const rss = r.rssTotalMb > r.rssMb ? `${r.rssMb} (${r.rssTotalMb} in all)` : `${r.rssMb}`;
    // A reference answers from memory: whether its keys repeat does not matter.
    const note = r.wrapped && isKeel(r) ? ' ⚠ ran out of unread keys' : '';
    lines.push(
      `| ${r.scenario} | ${r.name}${note} | ${r.server} | ${num(r.rps)} | ${r.p50} | ${r.p99} | ${r.max} | ${r.errors} | ${r.non2xx} | ${rss} | ${ratio} |`,
    );
  }
  lines.push(
    '',
    `Ratio: req/s against bare \`node:http\` in the same scenario; for 7, two workers against one process. ${meta.conditions}`,
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
