/** IPC channel names, shared by the main process and the preload. */
export const IPC = {
  getConnection: 'boiler:get-connection',
} as const;

/** What the renderer needs to reach the relay. */
export interface ConnectionInfo {
  relayUrl: string;
  /** Whether an API key is stored in the OS keychain. */
  hasKey: boolean;
}

/** The one narrow API the preload exposes to the renderer as `window.boiler`. */
export interface BoilerBridge {
  getConnection(): Promise<ConnectionInfo>;
}
