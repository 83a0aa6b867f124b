export { SimulatedHouse, type SimulatedHouseOptions, type InitialTemperatures, type HouseSnapshot, type ZoneSnapshot, type ThermostatSnapshot } from './house.js';
export { SimClock } from './clock.js';
export { SimDriver, MAX_SIM_SPEED, nodeIntervalTimer, type SimDriverOptions, type IntervalTimer, type Advanceable } from './driver.js';
export { SimFault, type SimFaultInput, UnknownFaultTargetError } from './faults.js';
export {
  SimRelayBoard,
  SimDigitalInputs,
  SimSensorBus,
  UnknownOutputError,
  UnknownInputError,
  DeviceClosedError,
  DS18B20_STEP_C,
  quantiseDs18b20,
} from './devices.js';
export { OutdoorWeather, COLORADO_WINTER, type OutdoorOptions } from './outdoor.js';
export { SimEnv, SimFile, simEnvShape, simHouseOptions, startWall } from './settings.js';
export { createSimHardware, type SimHardwareOptions } from './run.js';
