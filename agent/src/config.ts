import { z } from 'zod';
import { join } from 'node:path';
import { isLoopbackHost } from '@boiler/service';
import { envNumber, envPort, envSecret, isTimeZone, LogLevel } from '@boiler/shared';
import { simEnvShape } from './hardware/simulator/settings.js';
import { DEFAULT_GPIO_SYSFS_ROOT } from './hardware/gpio-chip.js';

const agentDir = join(import.meta.dirname, '..');

/** The agent's environment (names from the architecture guide); every value checked at start. */
export const AgentEnv = z.object({
  DB_PATH: z.string().min(1).default(join(agentDir, 'data', 'agent.db')),
  WS_HOST: z.string().min(1).default('127.0.0.1'),
  WS_PORT: envPort.default(8001),
  BATCH_INTERVAL: envNumber({ min: 1, max: 5 }).default(2),
  HEARTBEAT_INTERVAL: envNumber({ min: 1, max: 600 }).default(30),
  LOG_LEVEL: LogLevel.default('info'),
  HARDWARE: z.enum(['sim', 'pi'], { error: 'expected sim or pi' }).default('sim'),
  ZONES_FILE: z.string().min(1).default(join(agentDir, 'zones.json')),
  /** Pi only: which BCM pin drives which output and reads which input, and the 1-wire directory. */
  HARDWARE_FILE: z.string().min(1).default(join(agentDir, 'hardware.pi.json')),
  SHARED_SECRET: envSecret.optional(),
  SHARED_SECRET_FILE: z.string().min(1).optional(),
  API_KEY: envSecret.optional(),
  /** The API key in a file (0600; systemd credentials), read at start like SHARED_SECRET_FILE; wins over API_KEY. */
  API_KEY_FILE: z.string().min(1).optional(),
  /** Requests per second each API client may make (bursts of twice that). */
  API_RATE_LIMIT: envNumber({ min: 1, max: 100_000 }).default(20),
  /**
   * PEM certificate and key the API and /ws serve with off loopback; unset there, the agent makes
   * a self-signed pair beside DB_PATH on its first start and prints its SHA-256 for PI_TLS_FINGERPRINT.
   */
  TLS_CERT: z.string().min(1).optional(),
  TLS_KEY: z.string().min(1).optional(),
  SIM_SPEED: envNumber({ min: 0.1, max: 100_000 }).default(1),
  /** The simulator's weather, start, rooms, draughts and clock steps (hardware/simulator/settings.ts). */
  ...simEnvShape,
  /**
   * Pi only: the sysfs GPIO class directory. Any other path than the kernel's is driven by plain
   * file I/O (onoff knows only /sys/class/gpio), so a board description can be dry-run on a fake tree.
   */
  GPIO_SYSFS_ROOT: z.string().min(1).default(DEFAULT_GPIO_SYSFS_ROOT),
  /** Days raw samples are kept; rollups (15 min, hour, day) are kept for good. */
  SAMPLE_RETENTION_DAYS: envNumber({ min: 1, max: 3650 }).default(30),
  TIME_ZONE: z.string().refine(isTimeZone, 'not an IANA time zone this runtime knows').default('America/Denver'),
}).superRefine((env, ctx) => {
  // Off loopback the agent is meant to be reached by the relay; without a secret its link is
  // off and the owner hears nothing (no alerts, no commands) until the house is cold. Saying so
  // at the installer's first start is better than an agent that runs deaf. On loopback (a bench
  // or a kiosk-only Pi) running without the link is a choice, and main.ts warns.
  if (env.SHARED_SECRET === undefined && env.SHARED_SECRET_FILE === undefined && !isLoopbackHost(env.WS_HOST)) {
    ctx.addIssue({ code: 'custom', path: ['SHARED_SECRET'], message: `required (or SHARED_SECRET_FILE) when WS_HOST (${env.WS_HOST}) is not loopback only: the relay link is authenticated with it` });
  }
});
export type AgentEnv = z.infer<typeof AgentEnv>;
