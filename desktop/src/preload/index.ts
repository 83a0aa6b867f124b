import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge.js';

// Sandboxed: this file may import only `electron`; everything is bundled into one CommonJS file.
contextBridge.exposeInMainWorld('boiler', createBridge(ipcRenderer));
