export {
  TlsSetupError,
  CertificatePinError,
  certificateFingerprint,
  derDigest,
  derFingerprint,
  fingerprintMatches,
  formatFingerprint,
  parseFingerprint,
  makeSelfSigned,
  subjectAltNames,
} from '@boiler/service';
export * from './certificate.js';
export * from './pinning.js';
export * from './loopback.js';
