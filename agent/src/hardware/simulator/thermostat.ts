/** A wall thermostat (or a tank's aquastat) with its own setpoint and a differential, in °C. */
export class SimThermostat {
  private calling: boolean;

  constructor(
    private setpointC: number,
    private readonly differentialC: number,
    initialC: number,
  ) {
    if (!(differentialC > 0)) throw new RangeError('a thermostat differential must be positive');
    this.calling = initialC < setpointC;
  }

  /** Calls below setpoint minus the differential, stops at the setpoint; in between it keeps what it did. */
  sense(temperatureC: number): void {
    if (this.calling) {
      if (temperatureC >= this.setpointC) this.calling = false;
    } else if (temperatureC < this.setpointC - this.differentialC) {
      this.calling = true;
    }
  }

  callsForHeat(): boolean {
    return this.calling;
  }

  setpoint(): number {
    return this.setpointC;
  }

  /** Turns the dial and senses the present temperature against the new setpoint. */
  setSetpoint(celsius: number, temperatureC: number): void {
    this.setpointC = celsius;
    this.sense(temperatureC);
  }
}
