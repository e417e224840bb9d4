import type { Workshop } from '../api/types';
import { api } from '../services';

/** Workshops the caller can see, cached for names and time zones (cleared on sign-out). */
let cache: Promise<Map<number, Workshop>> | null = null;

export function workshopMap(): Promise<Map<number, Workshop>> {
  if (!cache) {
    cache = api
      .workshops({ page_size: 100 })
      .then((r) => new Map(r.data.map((w) => [w.id, w])))
      .catch((e: unknown) => {
        cache = null;
        throw e;
      });
  }
  return cache;
}

export function invalidateWorkshops(): void {
  cache = null;
}
