// The pinned TLS client moved to service/src/tls (the desktop shell's main process pins the relay with it too).
export { PINNED_HANDSHAKE_TIMEOUT_MS, assertPinnedPeer, connectPinned, pinnedAgent, type PinnedConnectOptions } from '@boiler/service';
