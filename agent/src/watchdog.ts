import { execFile } from 'node:child_process';

type Notify = (state: string) => void;

/** The default sender: systemd-notify, allowed by the unit's NotifyAccess=all (Node has no unix datagram sockets). */
const systemdNotify: Notify = (state) => {
  execFile('systemd-notify', [state], () => {
    // A failed notify shows up as a watchdog restart, which is what should happen.
  });
};

/**
 * Tells systemd the agent is alive. Fed by the control loop itself after each completed tick,
 * so a stuck loop stops the pings and systemd restarts the process (WatchdogSec in the unit).
 */
export class Watchdog {
  private readonly intervalMs: number | null;
  private lastFed = Number.NEGATIVE_INFINITY;

  constructor(
    env: NodeJS.ProcessEnv,
    private readonly notify: Notify = systemdNotify,
    private readonly monotonic: () => number = () => performance.now(),
  ) {
    const usec = Number(env.WATCHDOG_USEC);
    const enabled = env.NOTIFY_SOCKET !== undefined && Number.isFinite(usec) && usec > 0;
    // Ping at a third of the deadline so one slow tick does not cost a restart.
    this.intervalMs = enabled ? usec / 1000 / 3 : null;
    this.active = env.NOTIFY_SOCKET !== undefined;
  }

  private readonly active: boolean;

  ready(): void {
    if (this.active) this.notify('READY=1');
  }

  /** Called by the control loop after each tick that completed. */
  fed(): void {
    if (this.intervalMs === null) return;
    const t = this.monotonic();
    if (t - this.lastFed >= this.intervalMs) {
      this.lastFed = t;
      this.notify('WATCHDOG=1');
    }
  }

  stopping(): void {
    if (this.active) this.notify('STOPPING=1');
  }
}
