/** An error as it crosses the process boundary: v8's serializer keeps no own fields. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: unknown;
  fields: Record<string, unknown>;
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'NonError', message: String(error), fields: { value: safe(error) } };
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(error)) if (key !== 'name' && key !== 'message' && key !== 'stack') fields[key] = safe((error as never)[key]);
  return { name: error.name, message: error.message, stack: error.stack, code: (error as { code?: unknown }).code, fields };
}

/** The child's error rebuilt in the parent, with the child's stack. */
export function rebuildError(serialized: SerializedError): Error {
  const error = new Error(serialized.message);
  Object.defineProperty(error, 'name', { value: serialized.name, enumerable: false, writable: true, configurable: true });
  // Without the child's stack, the parent's own (of this function) would mislead.
  error.stack = serialized.stack ?? `${serialized.name}: ${serialized.message}`;
  Object.assign(error, serialized.fields);
  if (serialized.code !== undefined) (error as { code?: unknown }).code = serialized.code;
  return error;
}

// Own fields may hold anything (sockets, functions): keep what the structured clone takes.
function safe(value: unknown): unknown {
  try {
    structuredClone(value);
    return value;
  } catch {
    return String(value);
  }
}
