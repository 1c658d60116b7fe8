// writeFixtures writes generated template-test fixtures into the package folder: only below a .test-fixtures/
// folder, whatever produced the paths (a test case named "..", a bug upstream).
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFixtures } from '../../functions/adapters/package-folder.js';
import { TerminalError } from '../../shared/errors.js';

describe('writeFixtures', () => {
  it('writes fixtures below .test-fixtures/', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-fixtures-'));
    await writeFixtures(dir, new Map([['.test-fixtures/dev/cm.yaml', 'a: 1\n']]));
    expect(readFileSync(join(dir, '.test-fixtures/dev/cm.yaml'), 'utf8')).toBe('a: 1\n');
  });

  it.each(['.test-fixtures/../../escaped.yaml', '.test-fixtures/./x.yaml', 'manifest.yaml', '/tmp/abs.yaml'])(
    'refuses %s',
    async (path) => {
      const dir = mkdtempSync(join(tmpdir(), 'gantry-fixtures-'));
      const error: unknown = await writeFixtures(dir, new Map([[path, 'x']])).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TerminalError);
      expect((error as Error).message).toBe(
        `refusing to write fixture ${JSON.stringify(path)}: not inside .test-fixtures/`,
      );
      expect(existsSync(join(dir, '..', 'escaped.yaml'))).toBe(false);
    },
  );
});
