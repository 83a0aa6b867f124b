import { readFileSync } from 'node:fs';
import { ZonesFile } from '../../src/zones.js';
import { SimulatedHouse, type HouseSnapshot, type SimulatedHouseOptions } from '../../src/hardware/simulator/index.js';

/** The reference house's zones file, parsed as the agent parses it. */
export function referenceZones(): ZonesFile {
  const raw: unknown = JSON.parse(readFileSync(new URL('../../zones.json', import.meta.url), 'utf8'));
  return ZonesFile.parse(raw);
}

/** 2025-01-15 00:00 in Denver (MST, UTC-7). */
export const DENVER_MIDNIGHT_JAN_15 = Date.UTC(2025, 0, 15, 7);

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** The reference house in Denver, starting at midnight on a January day. */
export function referenceHouse(options: Partial<SimulatedHouseOptions> = {}, file: ZonesFile = referenceZones()): SimulatedHouse {
  return new SimulatedHouse(file, { timeZone: 'America/Denver', startWall: DENVER_MIDNIGHT_JAN_15, seed: 7, ...options });
}

/** A heat zone's true state from a snapshot; fails the test if it is not one. */
export function heatZone(snapshot: HouseSnapshot, name: string): { roomC: number; pipeC: number; emitterW: number; circulating: boolean } {
  const zone = snapshot.zones[name];
  if (zone?.kind !== 'heat') throw new Error(`${name} is not a heat zone in the snapshot`);
  return zone;
}

export function tankZone(snapshot: HouseSnapshot, name: string): { tankC: number; circulating: boolean } {
  const zone = snapshot.zones[name];
  if (zone?.kind !== 'onoff') throw new Error(`${name} is not an on/off zone in the snapshot`);
  return zone;
}

/** Reads one sensor through the bus, as the agent would. */
export async function readOne(house: SimulatedHouse, id: string) {
  const readings = await house.sensors.readAll([id]);
  const reading = readings.get(id);
  if (reading === undefined) throw new Error(`no reading for ${id}`);
  return reading;
}
