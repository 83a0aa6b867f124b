import { describe, expect, it } from 'vitest';
import { SHELL_CSP, commandLineSwitches, mayLoad, mayNavigate, pageQuery, permissionAllowed, shellModeFrom, windowOptions } from '../../src/main/lib/window-options.js';

const PRELOAD = '/app/out/preload/index.cjs';
const APP = 'file:///app/out/renderer/index.html';

describe('window options', () => {
  for (const mode of ['kiosk', 'desktop'] as const) {
    it(`${mode}: every security setting, field by field`, () => {
      const web = windowOptions(mode, PRELOAD).webPreferences;
      expect(web?.preload).toBe(PRELOAD);
      expect(web?.contextIsolation).toBe(true);
      expect(web?.sandbox).toBe(true);
      expect(web?.nodeIntegration).toBe(false);
      expect(web?.nodeIntegrationInWorker).toBe(false);
      expect(web?.nodeIntegrationInSubFrames).toBe(false);
      expect(web?.webSecurity).toBe(true);
      expect(web?.allowRunningInsecureContent).toBe(false);
      expect(web?.webviewTag).toBe(false);
      expect(web?.navigateOnDragDrop).toBe(false);
    });
  }

  it('kiosk: full screen, no frame or menu, no devtools', () => {
    const o = windowOptions('kiosk', PRELOAD);
    expect(o.kiosk).toBe(true);
    expect(o.fullscreen).toBe(true);
    expect(o.frame).toBe(false);
    expect(o.autoHideMenuBar).toBe(true);
    expect(o.webPreferences?.devTools).toBe(false);
    expect(o.show).toBe(false);
  });

  it('desktop: a normal window of the remembered size and place, devtools available', () => {
    const o = windowOptions('desktop', PRELOAD, { width: 1024, height: 700, x: 10, y: 20, maximized: false });
    expect(o.kiosk).toBe(false);
    expect(o.fullscreen).toBe(false);
    expect([o.width, o.height, o.x, o.y]).toEqual([1024, 700, 10, 20]);
    expect(o.webPreferences?.devTools).toBe(true);
  });

  it('CSP: scripts from the app only, no connections from the page, no frames, objects or base changes', () => {
    const directives = new Map(SHELL_CSP.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('default-src')).toBe("'self'");
    expect(directives.get('connect-src')).toBe("'none'");
    expect(directives.get('object-src')).toBe("'none'");
    expect(directives.get('frame-ancestors')).toBe("'none'");
    expect(directives.get('base-uri')).toBe("'none'");
    expect(SHELL_CSP).not.toMatch(/unsafe-eval|https?:|\*/);
  });

  it('kiosk switches: touch on, pinch and overscroll navigation off; none on the desktop', () => {
    expect(commandLineSwitches('kiosk')).toEqual([['touch-events', 'enabled'], ['disable-pinch'], ['overscroll-history-navigation', '0']]);
    expect(commandLineSwitches('desktop')).toEqual([]);
    expect(pageQuery('kiosk')).toEqual({ kiosk: '1' });
    expect(pageQuery('desktop')).toEqual({});
  });

  it('mode from the command line', () => {
    expect(shellModeFrom(['electron', '.', '--kiosk', '--hide-cursor'])).toEqual({ mode: 'kiosk', hideCursor: true });
    expect(shellModeFrom(['electron', '.', '--hide-cursor'])).toEqual({ mode: 'desktop', hideCursor: false });
  });

  it('navigation away, remote content and permissions are refused', () => {
    expect(mayNavigate('https://evil.example/', APP)).toBe(false);
    expect(mayNavigate('file:///etc/passwd', APP)).toBe(false);
    expect(mayNavigate('not a url', APP)).toBe(false);
    expect(mayLoad('file:///app/out/renderer/assets/index-1.js', APP)).toBe(true);
    expect(mayLoad('file:///app/out/renderer/../main/index.js', APP)).toBe(false);
    expect(mayLoad('file:///etc/passwd', APP)).toBe(false);
    expect(mayLoad('https://cdn.example/x.js', APP)).toBe(false);
    expect(mayLoad('http://127.0.0.1:5173/src/main.ts', 'http://127.0.0.1:5173/')).toBe(true);
    expect(mayLoad('http://127.0.0.1:8000/api/live', 'http://127.0.0.1:5173/')).toBe(false);
    expect(permissionAllowed()).toBe(false);
  });
});
