import { describe, expect, it } from 'vitest';
import { consoleActions } from './console.js';
import { mountedConsole, serveSettings } from './host-flags.js';

describe('the console flags of gantry serve and gantry run --serve', () => {
  it('mount nothing by default, a read-only console with --console, actions only with --console-actions', async () => {
    const none = await serveSettings({ 'plain-http': true });
    const readOnly = await serveSettings({ 'plain-http': true, console: true });
    const acting = await serveSettings({ 'plain-http': true, console: true, 'console-actions': true });
    expect([none.console, readOnly.console, acting.console]).toEqual([
      undefined,
      { allowActions: false },
      { allowActions: true },
    ]);
    expect(await mountedConsole(none)).toBeUndefined();
    expect(await mountedConsole(acting)).toEqual({ actions: consoleActions, allowActions: true });
  });

  it('refuse --console-actions without --console', async () => {
    await expect(serveSettings({ 'plain-http': true, 'console-actions': true })).rejects.toThrow(
      '--console-actions needs --console',
    );
  });
});
