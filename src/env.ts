// The process environment as logic sees it: read-only lookups, injected like the rest of the
// context so tests can hand over a record.

export interface Env {
  get(name: string): string | undefined;
  toObject(): Record<string, string>;
}

export function envFromRecord(record: Record<string, string>): Env {
  return {
    get: (name) => record[name],
    toObject: () => ({ ...record }),
  };
}
