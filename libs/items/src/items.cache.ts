/** Cache tags of item reads: what a write invalidates. */
export const ITEMS_LIST_TAG = 'items:list';

export function itemTag(id: string): string {
  return `items:${id.toLowerCase()}`;
}
