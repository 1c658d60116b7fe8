/**
 * @module packages/files
 * A package as an in-memory file map: path relative to the package root (`/` separated, no leading `/`,
 * no `.` or `..` segments) -> bytes. Every loader (folder, tarball, OCI image) produces one.
 */
export type FileMap = ReadonlyMap<string, Uint8Array>;

const decoder = new TextDecoder('utf-8', { fatal: false });

/** Decode a file as UTF-8 text. */
export function fileText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Build a file map from text contents (tests, examples, generated packages). */
export function fileMapFromText(entries: Record<string, string>): FileMap {
  const encoder = new TextEncoder();
  return new Map(Object.entries(entries).map(([path, text]) => [path, encoder.encode(text)]));
}
