/**
 * The house as a lumped thermal network, stepped with explicit Euler.
 *
 * Units throughout: temperatures in °C, heat flows in W (J/s), heat capacities in J/K,
 * conductances in W/K, time steps in s. Every number below is a physical constant of the
 * reference house chosen to be plausible, not fitted; each says where it comes from.
 *
 * Nodes:
 *   - boiler water (one node: the boiler's water and cast iron);
 *   - per heat zone: the room (air, furniture and the inner layer of the walls as one
 *     capacity) and its emitter loop (the zone's pipe run plus fin-tube baseboard, water
 *     and metal; the pipe sensor reads it);
 *   - per on/off zone: an indirect hot-water tank (the pipe sensor reads the tank).
 *
 * Flows:
 *   - burner -> boiler water, while firing, modulating down over the last few kelvin
 *     below the supply target;
 *   - boiler water <-> emitter loop (or tank coil) only while water circulates through the
 *     zone (its output is on and, if the house has a system pump, the pump runs). Heat is
 *     carried by the flow (m·cp), so the loop tends toward the boiler's temperature and the
 *     boiler gives up exactly what the loop gains; a cold boiler with the pump running
 *     therefore cools the loops (and a hot one purges into them, like pump overrun);
 *   - emitter -> room, by the usual baseboard curve Q = rated·(ΔT/50 K)^1.3, never more than
 *     the rated output (`emitter_w`);
 *   - room -> outdoors through the envelope (`exterior_ua_w_per_k`);
 *   - emitter loop -> outdoors, a small share, since runs pass through exterior walls and
 *     the crawl space (this is why a pipe can freeze before its room does);
 *   - boiler jacket and tank standby losses to the mechanical room.
 */

/** Effective room heat capacity per m² of floor, J/(K·m²): ISO 13790 puts "medium" at 165 kJ and "heavy" at 260 kJ; a log and stone mountain house sits between. */
export const ROOM_CAPACITY_J_PER_K_PER_M2 = 200_000;
/** Emitter loop capacity per W of rated output, J/(K·W): copper fin-tube (~4 J/K per W) plus ~20 m of 3/4" supply and return per zone. */
export const EMITTER_CAPACITY_J_PER_K_PER_W = 15;
/** The water-to-room temperature difference at which an emitter gives its rated output, K. */
export const EMITTER_RATED_DELTA_K = 50;
/** Baseboard output exponent (EN 442 style curve). */
export const EMITTER_EXPONENT = 1.3;
/** Design temperature drop across a zone at rated output, K (the "20 °F rule"); sets each zone's flow m·cp = emitter_w / drop. */
export const DESIGN_FLOW_DROP_K = 11;
/** Conductance from an emitter loop to outdoors per W of rated output, (W/K)/W. */
export const PIPE_EXPOSURE_W_PER_K_PER_W = 1 / 400;

/** Boiler water plus cast iron, J/K: about 50 L of water (209 kJ/K) and 100 kg of iron (45 kJ/K). */
export const BOILER_CAPACITY_J_PER_K = 250_000;
/** The supply temperature the boiler's own control holds while enabled, °C. */
export const BOILER_SUPPLY_TARGET_C = 75;
/** The burner modulates from full fire to nothing over this band below the target, K. */
export const BOILER_MODULATION_BAND_K = 5;
/** Jacket and flue standby loss to the mechanical room, W/K. */
export const BOILER_JACKET_W_PER_K = 10;
/** Burner input is sized to the emitters with this margin ... */
export const BOILER_SIZING_FACTOR = 1.1;
/** ... but never smaller than this, W. */
export const BOILER_MIN_INPUT_W = 15_000;

/** An indirect tank of 150 L of water, J/K. */
export const TANK_CAPACITY_J_PER_K = 150 * 4186;
/** Coil rating when an on/off zone has no `sim.emitter_w`, W, at TANK_COIL_RATED_DELTA_K. */
export const TANK_COIL_DEFAULT_W = 20_000;
/** The boiler-to-tank difference at which the coil gives its rating, K. */
export const TANK_COIL_RATED_DELTA_K = 40;
/** Tank standby loss, W/K (about 100 W at 55 °C in a 15 °C room). */
export const TANK_STANDBY_W_PER_K = 2.5;

/** The mechanical room where the boiler and tank stand; a basement holds steady, °C. */
export const MECHANICAL_ROOM_C = 15;

/** A heating zone's fixed parameters, derived from its `sim` block. */
export interface HeatZoneParams {
  readonly kind: 'heat';
  /** Room capacity, J/K. */
  readonly roomCapacity: number;
  /** Envelope loss, W/K. */
  readonly ua: number;
  /** Rated emitter output, W: the most the emitter can give the room. */
  readonly emitterW: number;
  /** Emitter loop capacity, J/K. */
  readonly loopCapacity: number;
  /** Flow heat rate m·cp while circulating, W/K. */
  readonly flow: number;
  /** Loop-to-outdoor conductance, W/K. */
  readonly exposure: number;
}

/** An on/off zone (the water heater): a tank heated through a coil. */
export interface TankZoneParams {
  readonly kind: 'tank';
  /** J/K. */
  readonly capacity: number;
  /** Coil conductance while circulating, W/K. */
  readonly coil: number;
  /** The coil's rated output, W: a bound in both directions. */
  readonly coilMaxW: number;
  /** W/K to the mechanical room. */
  readonly standby: number;
}

export type ZoneParams = HeatZoneParams | TankZoneParams;

/** The `sim` block of a zone, already defaulted by the zones schema when present. */
export interface ZoneSimBlock {
  area_m2: number;
  exterior_ua_w_per_k: number;
  emitter_w: number;
}

/** For a heat zone with no `sim` block: the same defaults zones.ts gives the block's fields. */
export const DEFAULT_SIM_BLOCK: ZoneSimBlock = { area_m2: 20, exterior_ua_w_per_k: 60, emitter_w: 2500 };

/** `heatLossScale` multiplies the envelope's loss (a draughty house, a bitter wind); 1 is the zones file's. */
export function heatZoneParams(sim: ZoneSimBlock | undefined, heatLossScale = 1): HeatZoneParams {
  const s = sim ?? DEFAULT_SIM_BLOCK;
  return {
    kind: 'heat',
    roomCapacity: s.area_m2 * ROOM_CAPACITY_J_PER_K_PER_M2,
    ua: s.exterior_ua_w_per_k * heatLossScale,
    emitterW: s.emitter_w,
    loopCapacity: s.emitter_w * EMITTER_CAPACITY_J_PER_K_PER_W,
    flow: s.emitter_w / DESIGN_FLOW_DROP_K,
    exposure: s.emitter_w * PIPE_EXPOSURE_W_PER_K_PER_W,
  };
}

export function tankZoneParams(sim: ZoneSimBlock | undefined): TankZoneParams {
  const coilMaxW = sim?.emitter_w ?? TANK_COIL_DEFAULT_W;
  return {
    kind: 'tank',
    capacity: TANK_CAPACITY_J_PER_K,
    coil: coilMaxW / TANK_COIL_RATED_DELTA_K,
    coilMaxW,
    standby: TANK_STANDBY_W_PER_K,
  };
}

/** Full-fire burner input for a set of zones, W. */
export function boilerInputW(zones: readonly ZoneParams[]): number {
  const load = zones.reduce((sum, z) => sum + (z.kind === 'heat' ? z.emitterW : z.coilMaxW), 0);
  return Math.max(BOILER_MIN_INPUT_W, BOILER_SIZING_FACTOR * load);
}

/** A heat zone's state; `emitterW` is the heat the emitter gave the room over the last step. */
export interface HeatZoneState {
  kind: 'heat';
  roomC: number;
  loopC: number;
  emitterW: number;
}

export interface TankZoneState {
  kind: 'tank';
  tankC: number;
}

export type ZoneState = HeatZoneState | TankZoneState;

/** What the devices do during a step; fixed for the step. */
export interface StepDrive {
  outdoorC: number;
  /** The burner is lit (boiler enabled and not locked out). */
  firing: boolean;
  /** Water circulates through zone i (same order as the zones). */
  circulating: readonly boolean[];
}

/** Rated-curve emitter output for a loop-to-room difference, W, bounded by the rating. */
export function emitterOutputW(ratedW: number, deltaK: number): number {
  const magnitude = Math.min(ratedW, ratedW * Math.pow(Math.abs(deltaK) / EMITTER_RATED_DELTA_K, EMITTER_EXPONENT));
  return deltaK >= 0 ? magnitude : -magnitude;
}

/** The whole network's state and its Euler step. */
export class ThermalModel {
  boilerC: number;
  /** Burner heat into the water over the last step, W. */
  burnerW = 0;

  constructor(
    readonly params: readonly ZoneParams[],
    readonly states: ZoneState[],
    boilerC: number,
    readonly burnerMaxW: number = boilerInputW(params),
  ) {
    if (params.length !== states.length) throw new RangeError('one state per zone');
    this.boilerC = boilerC;
  }

  /** Advances every node by `h` seconds with the devices held as `drive` says. */
  step(h: number, drive: StepDrive): void {
    const out = drive.outdoorC;
    const boiler = this.boilerC;
    let toZones = 0; // W leaving the boiler water for the zones

    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      const s = this.states[i];
      if (p === undefined || s === undefined) continue;
      const flowing = drive.circulating[i] === true;
      if (p.kind === 'heat' && s.kind === 'heat') {
        const fromBoiler = flowing ? p.flow * (boiler - s.loopC) : 0;
        const toRoom = emitterOutputW(p.emitterW, s.loopC - s.roomC);
        const loopLoss = p.exposure * (s.loopC - out);
        const roomLoss = p.ua * (s.roomC - out);
        s.loopC += ((fromBoiler - toRoom - loopLoss) * h) / p.loopCapacity;
        s.roomC += ((toRoom - roomLoss) * h) / p.roomCapacity;
        s.emitterW = toRoom;
        toZones += fromBoiler;
      } else if (p.kind === 'tank' && s.kind === 'tank') {
        const raw = flowing ? p.coil * (boiler - s.tankC) : 0;
        const fromBoiler = Math.max(-p.coilMaxW, Math.min(p.coilMaxW, raw));
        const standby = p.standby * (s.tankC - MECHANICAL_ROOM_C);
        s.tankC += ((fromBoiler - standby) * h) / p.capacity;
        toZones += fromBoiler;
      }
    }

    const modulation = Math.max(0, Math.min(1, (BOILER_SUPPLY_TARGET_C - boiler) / BOILER_MODULATION_BAND_K));
    this.burnerW = drive.firing ? this.burnerMaxW * modulation : 0;
    const jacket = BOILER_JACKET_W_PER_K * (boiler - MECHANICAL_ROOM_C);
    this.boilerC += ((this.burnerW - toZones - jacket) * h) / BOILER_CAPACITY_J_PER_K;
  }
}
