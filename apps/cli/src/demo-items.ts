import type { CreateItemDto } from '@keel/items';

const MATERIALS = [
  'Walnut',
  'Oak',
  'Birch',
  'Steel',
  'Linen',
  'Wool',
  'Leather',
  'Ceramic',
  'Glass',
  'Brass',
  'Bamboo',
  'Marble',
];
const THINGS: Array<[string, number, number]> = [
  // name, lowest and highest price in euros
  ['desk', 180, 900],
  ['bookshelf', 120, 650],
  ['lamp', 25, 240],
  ['armchair', 220, 1400],
  ['side table', 60, 380],
  ['mug', 6, 28],
  ['rug', 80, 900],
  ['stool', 45, 260],
  ['mirror', 40, 420],
  ['vase', 15, 160],
  ['cushion', 12, 70],
  ['coat rack', 35, 190],
];
const STYLES = ['', 'Nordic ', 'Compact ', 'Classic ', 'Studio ', 'Heritage '];

/**
 * The i-th demo item: a plausible name, description and price. A fixed sequence (no random
 * source), so two seeded databases hold the same catalogue.
 */
export function demoItem(i: number): CreateItemDto {
  const material = MATERIALS[i % MATERIALS.length] ?? 'Oak';
  const [thing, low, high] = THINGS[Math.floor(i / MATERIALS.length) % THINGS.length] ?? [
    'desk',
    180,
    900,
  ];
  const style = STYLES[Math.floor(i / (MATERIALS.length * THINGS.length)) % STYLES.length] ?? '';
  // A spread of prices between the bounds, ending in .00, .50, .90 or .99 as shop prices do.
  const step = ((i * 7919) % 97) / 96;
  const euros = Math.floor(low + step * (high - low));
  const cents = ['00', '50', '90', '99'][i % 4] ?? '00';
  return {
    name: `${style}${material} ${thing}`,
    description: `${material} ${thing}, demo item ${i + 1}.`,
    price: `${euros}.${cents}`,
  };
}
