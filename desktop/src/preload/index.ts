import { contextBridge, ipcRenderer } from 'electron';
import { IPC, type BoilerBridge, type ConnectionInfo } from './api.js';

const bridge: BoilerBridge = {
  getConnection: () => ipcRenderer.invoke(IPC.getConnection) as Promise<ConnectionInfo>,
};

contextBridge.exposeInMainWorld('boiler', bridge);
