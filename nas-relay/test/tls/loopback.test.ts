import { describe, expect, it } from 'vitest';
import { mustUseTls } from '../../src/tls/index.js';

describe('mustUseTls', () => {
  it.each(['127.0.0.1', '::1', 'localhost', 'LOCALHOST', 'localhost.', '[::1]', '0:0:0:0:0:0:0:1', ' 127.0.0.1 '])('allows plain HTTP on loopback %j', (host) => {
    expect(mustUseTls(host)).toBe(false);
  });

  it.each(['0.0.0.0', '::', '[::]', '192.168.1.20', '10.6.0.2', 'nas.lan', 'relay.example.com', '127.0.0.2', 'localhost.example.com', '::ffff:127.0.0.1', ''])(
    'requires TLS on %j',
    (host) => {
      expect(mustUseTls(host)).toBe(true);
    },
  );
});
