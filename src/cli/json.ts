/** run()'s value as JSON: Buffers as base64, Maps and Sets as objects and arrays, bigints as strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    function (this: unknown, key: string, v: unknown) {
      const raw = (this as Record<string, unknown>)[key];
      if (Buffer.isBuffer(raw)) return { type: 'Buffer', base64: raw.toString('base64') };
      if (v instanceof Map) return Object.fromEntries(v);
      if (v instanceof Set) return [...v];
      if (typeof v === 'bigint') return v.toString();
      if (v === undefined && key === '') return null;
      return v;
    },
    2,
  );
}
