import { app, BrowserWindow, ipcMain, Menu, nativeImage, Notification, powerSaveBlocker, safeStorage, session, shell as desktopShell, Tray, webContents } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { IPC, type LiveEvent } from '../preload/api.js';
import { registerIpc } from './lib/ipc.js';
import { PairingFile } from './lib/pairing.js';
import { openSecretStore } from './lib/secret-store.js';
import { Shell } from './lib/shell.js';
import { SiteWatch } from './lib/site-watch.js';
import { loadBounds, saveBounds } from './lib/window-state.js';
import { HIDDEN_CURSOR_CSS, SHELL_CSP, commandLineSwitches, mayLoad, mayNavigate, pageQuery, permissionAllowed, shellModeFrom, windowOptions } from './lib/window-options.js';

// The main process stays thin: it wires Electron to the plain modules in ./lib, tested under Node.

const { mode, hideCursor } = shellModeFrom(process.argv);
for (const [name, value] of commandLineSwitches(mode)) app.commandLine.appendSwitch(name, value);
if (!app.requestSingleInstanceLock()) app.quit();

const pageFile = join(import.meta.dirname, '../renderer/index.html');
const devUrl = process.env.ELECTRON_RENDERER_URL;
const appUrl = devUrl ?? pathToFileURL(pageFile).href;
const boundsFile = (): string => join(app.getPath('userData'), 'window.json');
let tray: Tray | null = null;
const watch = new SiteWatch();

function pushLive(senderId: number, event: LiveEvent): void {
  const target = webContents.fromId(senderId);
  if (target !== undefined && !target.isDestroyed()) target.send(IPC.liveEvent, event);
  if (mode !== 'desktop') return;
  // The desktop's tray shows the relay's and the Pi's state; a new alert is a system notification.
  const update = watch.observe(event);
  if (tray !== null && update.status !== null) tray.setToolTip(update.status);
  if (!Notification.isSupported()) return;
  for (const alert of update.newAlerts) new Notification({ title: `Boiler alert${alert.zone === null ? '' : `: ${alert.zone}`}`, body: alert.message }).show();
}

function lockDown(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(permissionAllowed()));
  ses.setPermissionCheckHandler(() => permissionAllowed());
  ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !mayLoad(details.url, appUrl) }));
  ses.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [SHELL_CSP] } }));
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!mayNavigate(url, appUrl)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      // Links out (help pages) open in the system browser on the desktop; the kiosk opens nothing.
      if (mode === 'desktop' && url.startsWith('https:')) void desktopShell.openExternal(url);
      return { action: 'deny' };
    });
  });
}

async function createWindow(core: Shell): Promise<BrowserWindow> {
  const bounds = mode === 'desktop' ? await loadBounds(boundsFile()) : undefined;
  const win = new BrowserWindow(windowOptions(mode, join(import.meta.dirname, '../preload/index.cjs'), bounds));
  if (mode === 'kiosk') {
    win.setMenu(null);
    const blocker = powerSaveBlocker.start('prevent-display-sleep');
    win.on('closed', () => powerSaveBlocker.stop(blocker));
    // A renderer that dies leaves a wall with nothing on it: start the app again.
    win.webContents.on('render-process-gone', (_e, details) => {
      if (details.reason === 'clean-exit') return;
      app.relaunch();
      app.exit(0);
    });
    if (hideCursor) win.webContents.on('did-finish-load', () => void win.webContents.insertCSS(HIDDEN_CURSOR_CSS));
  } else {
    if (bounds?.maximized === true) win.maximize();
    win.on('close', () => {
      const b = win.getNormalBounds();
      void saveBounds(boundsFile(), { ...b, maximized: win.isMaximized() });
    });
  }
  win.on('ready-to-show', () => win.show());
  // A page gone (closed, or crashed and relaunched) leaves no live socket open behind it.
  const pageId = win.webContents.id;
  win.webContents.on('destroyed', () => core.liveClose(pageId));
  const query = pageQuery(mode);
  if (devUrl !== undefined) await win.loadURL(`${devUrl}?${new URLSearchParams(query).toString()}`);
  else await win.loadFile(pageFile, { query });
  return win;
}

function createTray(): void {
  tray = new Tray(nativeImage.createFromPath(join(process.resourcesPath, 'icons', '32x32.png')));
  tray.setToolTip('Boiler Controller');
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: 'Show', click: () => BrowserWindow.getAllWindows()[0]?.show() },
      { label: 'Quit', role: 'quit' },
    ]),
  );
}

void app.whenReady().then(async () => {
  if (mode === 'kiosk') Menu.setApplicationMenu(null);
  lockDown();
  const secrets = await openSecretStore({ safeStorage, file: join(app.getPath('userData'), 'secrets.json') });
  const core = new Shell(new PairingFile(join(app.getPath('userData'), 'pairing.json')), secrets, mode === 'kiosk');
  await core.start();
  registerIpc(ipcMain, core, appUrl, pushLive);
  app.on('before-quit', () => core.closeAll());
  if (mode === 'desktop') createTray();
  await createWindow(core);
  app.on('second-instance', () => BrowserWindow.getAllWindows()[0]?.focus());
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow(core);
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
