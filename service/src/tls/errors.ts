/** The relay's TLS cannot be set up (files missing or mismatched, openssl absent or failing). */
export class TlsSetupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TlsSetupError';
  }
}

/** A server presented a certificate other than the pinned one; nothing was sent to it. */
export class CertificatePinError extends Error {
  readonly code = 'ERR_TLS_CERT_PIN_MISMATCH';
  constructor(
    readonly expected: string,
    /** The fingerprint the server presented, or null when it presented no certificate. */
    readonly presented: string | null,
  ) {
    super(
      presented === null
        ? `server presented no certificate; pinned SHA-256 ${expected}`
        : `server certificate SHA-256 ${presented} is not the pinned ${expected}`,
    );
    this.name = 'CertificatePinError';
  }
}
