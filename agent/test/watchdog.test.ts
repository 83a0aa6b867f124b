import { describe, it, expect } from 'vitest';
import { Watchdog } from '../src/watchdog.js';

describe('systemd watchdog', () => {
  it('pings at a third of WatchdogSec, only when fed, and says ready and stopping', () => {
    const sent: string[] = [];
    let now = 0;
    const w = new Watchdog({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000' }, (s) => sent.push(s), () => now);
    w.ready();
    w.fed();
    now = 5_000;
    w.fed(); // too soon for another ping
    now = 10_000;
    w.fed();
    // A stuck loop stops feeding: no pings however much time passes.
    now = 100_000;
    w.stopping();
    expect(sent).toEqual(['READY=1', 'WATCHDOG=1', 'WATCHDOG=1', 'STOPPING=1']);
  });

  it('stays silent outside systemd', () => {
    const sent: string[] = [];
    const w = new Watchdog({}, (s) => sent.push(s));
    w.ready();
    w.fed();
    w.stopping();
    expect(sent).toEqual([]);
  });
});
