import { loadTlsPair, selfSignedFiles, type TlsPair, type TlsPairOptions } from '@boiler/service';

// The certificate code lives in service/ (the agent serves its /ws with a pair made the same
// way); the relay keeps its names for it.

/** Names of the self-signed pair the relay makes in its data directory. */
export const SELF_SIGNED_CERT_FILE = selfSignedFiles('relay').cert;
export const SELF_SIGNED_KEY_FILE = selfSignedFiles('relay').key;

export type RelayTlsOptions = Omit<TlsPairOptions, 'role'>;
export type RelayTls = TlsPair;

/** The relay's certificate and key: TLS_CERT/TLS_KEY, or its self-signed pair (see loadTlsPair). */
export function loadRelayTls(options: RelayTlsOptions): Promise<RelayTls> {
  return loadTlsPair({ ...options, role: 'relay' });
}
