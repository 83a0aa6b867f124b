import { randomUUID } from 'node:crypto';
import type { CommandBody, WeeklySchedule } from '@boiler/shared';
import { expect } from '@playwright/test';
import { getJson, postCommand } from '../../support/agent-process.js';
import type { Site } from './site.js';

/** A command as the relay lists it. */
export interface ListedCommand {
  id: string;
  state: string;
  body: CommandBody;
}

/** Every command the relay holds (its own list, not what a page shows), newest first. */
export async function relayCommands(site: Site): Promise<ListedCommand[]> {
  const listed = await getJson<{ commands: ListedCommand[] }>(site.url, '/api/commands?limit=500', site.apiKey);
  expect(listed.status).toBe(200);
  return listed.body.commands;
}

/** Sends a command straight to the relay (as another client would) and waits for the Pi's success. */
export async function commandAndWait(site: Site, body: CommandBody): Promise<void> {
  const id = randomUUID();
  const posted = await postCommand(site.url, { id, body }, site.apiKey);
  expect(posted.status).toBe(202);
  await expect.poll(async () => (await getJson<{ state: string }>(site.url, `/api/commands/${id}`, site.apiKey)).body.state, { timeout: 30_000 }).toBe('succeeded');
}

/** The site's clock now, as the relay last heard it from the Pi (the simulator's clock runs fast). */
export async function siteNow(site: Site): Promise<number> {
  const system = await getJson<{ updated_at: number }>(site.url, '/api/system', site.apiKey);
  expect(system.status).toBe(200);
  return system.body.updated_at;
}

/**
 * Holds a zone at one setpoint all week (a schedule_set through the relay) and returns what puts its
 * week back (its own, or the default schedule). The sites' simulated clock runs 60x, so a switch
 * point of the zone's schedule can pass in the middle of a test and move the setpoint it watches.
 */
export async function holdFlatWeek(site: Site, zone: string, setpointC: number): Promise<() => Promise<void>> {
  const own = await getJson<{ schedule: WeeklySchedule }>(site.agent.url, `/api/schedules/${zone}`);
  const day = [{ at: '00:00', setpoint_c: setpointC }];
  await commandAndWait(site, { type: 'schedule_set', zone, schedule: { sun: day, mon: day, tue: day, wed: day, thu: day, fri: day, sat: day } });
  const empty: WeeklySchedule = { sun: [], mon: [], tue: [], wed: [], thu: [], fri: [], sat: [] };
  return () => commandAndWait(site, { type: 'schedule_set', zone, schedule: own.status === 200 ? own.body.schedule : empty });
}
